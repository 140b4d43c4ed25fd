"""The two towers, with the input and output names of the Xenova ONNX export."""
import numpy as np
from onnx import TensorProto, helper, numpy_helper

from .graph import Graph, rename_output


def vision_model(p, rng):
    g = Graph(rng)
    d, patch, size = p['vision_hidden'], p['patch_size'], p['image_size']
    n_patches = (size // patch) ** 2
    x = g.op('Conv', ['pixel_values', g.weight('vision.patch_embedding.weight', (d, 3, patch, patch))],
             kernel_shape=[patch, patch], strides=[patch, patch])
    x = g.op('Transpose', [g.op('Reshape', [x, g.const('vision.flatten', np.array([0, d, -1], dtype=np.int64))])], perm=[0, 2, 1])
    # Class token, expanded to the (dynamic) batch size.
    batch = g.op('Slice', [g.op('Shape', ['pixel_values']), g.const('zero', np.array([0], dtype=np.int64)),
                           g.const('one', np.array([1], dtype=np.int64))])
    cls_shape = g.op('Concat', [batch, g.const('vision.cls_tail', np.array([1, d], dtype=np.int64))], axis=0)
    cls = g.op('Expand', [g.weight('vision.class_embedding', (1, 1, d)), cls_shape])
    x = g.op('Concat', [cls, x], axis=1)
    x = g.op('Add', [x, g.weight('vision.position_embedding.weight', (1, n_patches + 1, d))])
    x = g.layer_norm(x, 'vision.pre_layrnorm', d)
    for i in range(p['vision_layers']):
        x = g.encoder_layer(x, f'vision.encoder.layers.{i}', d, p['vision_heads'], p['vision_mlp'])
    rename_output(g, x, 'last_hidden_state')
    pooled = g.op('Squeeze', [g.op('Slice', [x, g.const('zero_', np.array([0], dtype=np.int64)),
                                             g.const('one_', np.array([1], dtype=np.int64)),
                                             g.const('axis1', np.array([1], dtype=np.int64))]),
                              g.const('axis1_', np.array([1], dtype=np.int64))])
    pooled = g.layer_norm(pooled, 'vision.post_layernorm', d)
    rename_output(g, g.linear(pooled, 'visual_projection', d, p['projection_dim'], bias=False), 'image_embeds')
    return g.model(
        [helper.make_tensor_value_info('pixel_values', TensorProto.FLOAT, ['batch_size', 3, size, size])],
        [helper.make_tensor_value_info('image_embeds', TensorProto.FLOAT, ['batch_size', p['projection_dim']]),
         helper.make_tensor_value_info('last_hidden_state', TensorProto.FLOAT, ['batch_size', n_patches + 1, d])],
        'clip_vision_with_projection',
    )


def text_model(p, rng, vocab_size):
    g = Graph(rng)
    d = p['text_hidden']
    x = g.op('Gather', [g.weight('text.token_embedding.weight', (vocab_size, d)), 'input_ids'], axis=0)
    seq = g.op('Slice', [g.op('Shape', ['input_ids']), g.const('one', np.array([1], dtype=np.int64)),
                         g.const('two', np.array([2], dtype=np.int64))])
    pos = g.op('Slice', [g.weight('text.position_embedding.weight', (p['max_position'], d), std=0.01),
                         g.const('zero', np.array([0], dtype=np.int64)), seq])
    x = g.op('Add', [x, pos])
    # Causal mask: 0 on and below the diagonal, a large negative number above it.
    ones = g.op('ConstantOfShape', [g.op('Concat', [seq, seq], axis=0)],
                value=numpy_helper.from_array(np.array([1.0], dtype=np.float32)))
    upper = g.op('Sub', [ones, g.op('Trilu', [ones], upper=0)])
    mask = g.op('Mul', [upper, g.const('text.mask_value', np.array(-1e9, dtype=np.float32))])
    for i in range(p['text_layers']):
        x = g.encoder_layer(x, f'text.encoder.layers.{i}', d, p['text_heads'], p['text_mlp'], mask)
    x = g.layer_norm(x, 'text.final_layer_norm', d)
    rename_output(g, x, 'last_hidden_state')
    # Pooled at the EOS token, found as the highest id (ArgMax of input_ids), as the real export does.
    # (cast to int32 first, as HF's CLIP does: ORT has no int64 ArgMax kernel)
    eos = g.op('ArgMax', [g.op('Cast', ['input_ids'], to=TensorProto.INT32)], axis=-1, keepdims=1)
    index = g.op('Expand', [g.op('Unsqueeze', [eos, g.const('axis2', np.array([2], dtype=np.int64))]),
                            g.op('Concat', [g.op('Shape', [eos]), g.const('width', np.array([d], dtype=np.int64))], axis=0)])
    pooled = g.op('Squeeze', [g.op('GatherElements', [x, index], axis=1), g.const('axis1', np.array([1], dtype=np.int64))])
    rename_output(g, g.linear(pooled, 'text_projection', d, p['projection_dim'], bias=False), 'text_embeds')
    return g.model(
        [helper.make_tensor_value_info('input_ids', TensorProto.INT64, ['batch_size', 'sequence_length'])],
        [helper.make_tensor_value_info('text_embeds', TensorProto.FLOAT, ['batch_size', p['projection_dim']]),
         helper.make_tensor_value_info('last_hidden_state', TensorProto.FLOAT, ['batch_size', 'sequence_length', d])],
        'clip_text_with_projection',
    )
