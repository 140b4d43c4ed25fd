#!/usr/bin/env python3
"""Generates a randomly initialised CLIP in the file layout Transformers.js loads.

No CLIP weights can be downloaded on the project's machines, so the project makes its own: the
same graph as the Xenova ONNX export of CLIPVisionModelWithProjection / CLIPTextModelWithProjection
(same input and output names), int8 dynamically quantised like the default model, with random
weights. Presets:

  tiny       the committed test model (models/tiny-clip): hidden 32, 2 layers, projection 512
             (the width of ViT-B/32's, so the LAION aesthetic head applies), < 2 MB
  vit-b-32   the shape of openai/clip-vit-base-patch32 (same ops and FLOPs), for the benchmark

Scores made with these models are NOT quality judgements: config.json carries
`"thumbgate_random_weights": true` and the scoring activity reports it with every score.

No torch: the graphs are written directly with `onnx` + `numpy`. The Python packages are installed
project-locally into .tools/py on first use (never by hand), like scripts/setup-temporal.mjs does.

Usage: python3 scripts/make-clip-model.py --preset tiny --out models/tiny-clip
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY_TOOLS = os.path.join(ROOT, '.tools', 'py')
REQUIREMENTS = ['onnx==1.23.2', 'numpy==2.4.6', 'onnxruntime==1.32.0', 'tokenizers==0.23.3']


def ensure_packages():
    """Installs the generator's packages into .tools/py unless they import already."""
    sys.path.insert(0, PY_TOOLS)
    try:
        import numpy  # noqa: F401
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
        return
    except ImportError:
        pass
    print(f'[make-clip-model] installing {" ".join(REQUIREMENTS)} into {PY_TOOLS}', file=sys.stderr)
    subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
         '--root-user-action=ignore', '--target', PY_TOOLS, *REQUIREMENTS],
        check=True,
    )
    import importlib
    importlib.invalidate_caches()


ensure_packages()

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

# onnxruntime-node 1.14 (bundled by @xenova/transformers 2.17.2) reads IR version <= 8, opset <= 17.
IR_VERSION = 8
OPSET = 17

PRESETS = {
    'tiny': dict(
        image_size=224, patch_size=32, vision_hidden=32, vision_layers=2, vision_heads=2, vision_mlp=64,
        text_hidden=32, text_layers=2, text_heads=2, text_mlp=64, max_position=77, projection_dim=512,
        vocab_size=None,  # the tokenizer's
    ),
    'vit-b-32': dict(
        image_size=224, patch_size=32, vision_hidden=768, vision_layers=12, vision_heads=12, vision_mlp=3072,
        text_hidden=512, text_layers=12, text_heads=8, text_mlp=2048, max_position=77, projection_dim=512,
        vocab_size=49408,
    ),
}

# Words the tiny byte-level BPE learns merges from: the scoring prompts and common thumbnail words.
# Any text still tokenises (every byte has a token); these only make the vocabulary look like one.
MERGE_CORPUS = """
good photo bad photo beautiful ugly sharp blurry bright dark high quality low quality a photo of
youtube thumbnail video cooking recipe travel vlog gaming review tutorial how to make the best
with and for in on at of to is are this that my your new top ten tips guide easy quick fast
person man woman face smiling surprised text title bold colorful red blue green yellow orange
mountain sunset city street food kitchen car phone computer code music guitar dog cat
"""


def bytes_to_unicode():
    """GPT-2 / CLIP byte-to-character table: every byte gets a printable character."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def learn_merges(corpus, count):
    """Plain BPE over the corpus's words with CLIP's `</w>` end-of-word marker on the last symbol."""
    table = bytes_to_unicode()
    words = {}
    for word in corpus.lower().split():
        chars = [table[b] for b in word.encode('utf-8')]
        chars[-1] += '</w>'
        words[tuple(chars)] = words.get(tuple(chars), 0) + 1
    merges = []
    for _ in range(count):
        pairs = {}
        for symbols, freq in words.items():
            for pair in zip(symbols, symbols[1:]):
                pairs[pair] = pairs.get(pair, 0) + freq
        if not pairs:
            break
        # Ties broken by the pair itself, so the vocabulary is the same on every run.
        best = max(sorted(pairs), key=lambda p: pairs[p])
        merges.append(best)
        merged = {}
        for symbols, freq in words.items():
            out, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    out.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + freq
        words = merged
    return merges


def clip_tokenizer_json(merge_count=240):
    """A real HF tokenizers-format CLIP tokenizer, laid out like openai/clip-vit-base-patch32's."""
    base = list(bytes_to_unicode().values())
    vocab_list = base + [c + '</w>' for c in base]
    merges = learn_merges(MERGE_CORPUS, merge_count)
    vocab_list += [a + b for a, b in merges]
    # The EOS token must have the highest id: the text graph pools at ArgMax(input_ids), as the real export does.
    bos_id, eos_id = len(vocab_list), len(vocab_list) + 1
    vocab_list += ['<|startoftext|>', '<|endoftext|>']
    special = lambda i, c: dict(id=i, content=c, single_word=False, lstrip=False, rstrip=False, normalized=True, special=True)  # noqa: E731
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [special(bos_id, '<|startoftext|>'), special(eos_id, '<|endoftext|>')],
        'normalizer': {
            'type': 'Sequence',
            'normalizers': [
                {'type': 'NFC'},
                {'type': 'Replace', 'pattern': {'Regex': '\\s+'}, 'content': ' '},
                {'type': 'Lowercase'},
            ],
        },
        'pre_tokenizer': {
            'type': 'Sequence',
            'pretokenizers': [
                {
                    'type': 'Split',
                    'pattern': {'Regex': "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"},
                    'behavior': 'Removed',
                    'invert': True,
                },
                {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': False},
            ],
        },
        'post_processor': {
            'type': 'RobertaProcessing',
            'sep': ['<|endoftext|>', eos_id],
            'cls': ['<|startoftext|>', bos_id],
            'trim_offsets': False,
            'add_prefix_space': False,
        },
        'decoder': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': True, 'use_regex': True},
        'model': {
            'type': 'BPE',
            'dropout': None,
            'unk_token': '<|endoftext|>',
            'continuing_subword_prefix': '',
            'end_of_word_suffix': '</w>',
            'fuse_unk': False,
            'byte_fallback': False,
            'vocab': {token: i for i, token in enumerate(vocab_list)},
            'merges': [f'{a} {b}' for a, b in merges],
        },
    }


class Graph:
    """Collects nodes and initialisers; names are made unique by a counter."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.n = 0

    def name(self, base):
        self.n += 1
        return f'{base}_{self.n}'

    def weight(self, name, shape, std=0.02, value=None):
        arr = value if value is not None else (self.rng.standard_normal(shape) * std)
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name))
        return name

    def const(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def op(self, op_type, inputs, base=None, **attrs):
        out = self.name(base or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out + '_node', **attrs))
        return out

    def linear(self, x, prefix, d_in, d_out, bias=True):
        y = self.op('MatMul', [x, self.weight(f'{prefix}.weight', (d_in, d_out))])
        if bias:
            y = self.op('Add', [y, self.weight(f'{prefix}.bias', (d_out,), std=0.01)])
        return y

    def layer_norm(self, x, prefix, d):
        gamma = self.weight(f'{prefix}.weight', (d,), value=1.0 + self.rng.standard_normal(d) * 0.02)
        beta = self.weight(f'{prefix}.bias', (d,), std=0.01)
        return self.op('LayerNormalization', [x, gamma, beta], axis=-1, epsilon=1e-5)

    def attention(self, x, prefix, d, heads, mask=None):
        hd = d // heads
        split = self.const(f'{prefix}.split_shape', np.array([0, 0, heads, hd], dtype=np.int64))
        merge = self.const(f'{prefix}.merge_shape', np.array([0, 0, d], dtype=np.int64))

        def heads_of(t, perm):
            return self.op('Transpose', [self.op('Reshape', [t, split])], perm=perm)

        q = heads_of(self.linear(x, f'{prefix}.q_proj', d, d), [0, 2, 1, 3])
        k = heads_of(self.linear(x, f'{prefix}.k_proj', d, d), [0, 2, 3, 1])
        v = heads_of(self.linear(x, f'{prefix}.v_proj', d, d), [0, 2, 1, 3])
        scale = self.const(f'{prefix}.scale', np.array(hd ** -0.5, dtype=np.float32))
        scores = self.op('Mul', [self.op('MatMul', [q, k]), scale])
        if mask is not None:
            scores = self.op('Add', [scores, mask])
        probs = self.op('Softmax', [scores], axis=-1)
        ctx = self.op('Reshape', [self.op('Transpose', [self.op('MatMul', [probs, v])], perm=[0, 2, 1, 3]), merge])
        return self.linear(ctx, f'{prefix}.out_proj', d, d)

    def encoder_layer(self, x, prefix, d, heads, mlp, mask=None):
        h = self.attention(self.layer_norm(x, f'{prefix}.layer_norm1', d), f'{prefix}.self_attn', d, heads, mask)
        x = self.op('Add', [x, h])
        h = self.linear(self.layer_norm(x, f'{prefix}.layer_norm2', d), f'{prefix}.mlp.fc1', d, mlp)
        # quick_gelu, CLIP's activation: x * sigmoid(1.702 x)
        k = self.const(f'{prefix}.quick_gelu', np.array(1.702, dtype=np.float32))
        h = self.op('Mul', [h, self.op('Sigmoid', [self.op('Mul', [h, k])])])
        h = self.linear(h, f'{prefix}.mlp.fc2', mlp, d)
        return self.op('Add', [x, h])

    def model(self, inputs, outputs, name):
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)], producer_name='thumbgate')
        model.ir_version = IR_VERSION
        return model


def rename_output(g, tensor, name):
    g.nodes.append(helper.make_node('Identity', [tensor], [name], name=name + '_identity'))


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


def quantize_weights_only(model):
    """int8 weights (per output channel, symmetric) behind DequantizeLinear; activations stay float.

    Unlike dynamic quantisation, nothing depends on the other images in a batch, so a batch and
    one-by-one runs agree to float rounding (~1e-7): what the committed test model needs to test that
    the activity builds batches correctly.
    """
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    axes = {}  # initialiser -> per-channel axis
    for node in graph.node:
        if node.op_type == 'MatMul' and node.input[1] in inits:
            axes[node.input[1]] = 1
        elif node.op_type == 'Conv' and node.input[1] in inits:
            axes[node.input[1]] = 0
        elif node.op_type == 'Gather' and node.input[0] in inits:
            axes[node.input[0]] = 0
    new_nodes = []
    for name, axis in axes.items():
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        reduce = tuple(i for i in range(w.ndim) if i != axis)
        scale = np.maximum(np.abs(w).max(axis=reduce), 1e-12) / 127.0
        shape = [1] * w.ndim
        shape[axis] = -1
        q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
        graph.initializer.remove(inits[name])
        graph.initializer.extend([
            numpy_helper.from_array(q, f'{name}_quantized'),
            numpy_helper.from_array(scale.astype(np.float32), f'{name}_scale'),
            numpy_helper.from_array(np.zeros(scale.shape, dtype=np.int8), f'{name}_zero_point'),
        ])
        new_nodes.append(helper.make_node('DequantizeLinear', [f'{name}_quantized', f'{name}_scale', f'{name}_zero_point'],
                                          [name], name=f'{name}_dequantize', axis=axis))
    nodes = new_nodes + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return model


def quantize(model, path, mode):
    """int8 like the default model, then pinned to what ORT 1.14 reads.

    `dynamic` is what the Xenova export uses (MatMulInteger/ConvInteger with per-tensor dynamic
    activation quantisation: same ops and speed as the real model, but an image's activations are
    quantised with a scale taken over the whole batch). `weights` is weight-only int8 (see
    quantize_weights_only).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    if mode == 'weights':
        onnx.save(quantize_weights_only(model), path)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, 'model.onnx')
            onnx.save(model, src)
            quantize_dynamic(src, path, weight_type=QuantType.QUInt8, per_channel=False, reduce_range=False)
    q = onnx.load(path)
    q.ir_version = IR_VERSION
    for opset in q.opset_import:
        if opset.domain in ('', 'ai.onnx'):
            opset.version = OPSET
    onnx.checker.check_model(q)
    onnx.save(q, path)


def configs(p, vocab_size, eos_id, bos_id, preset, mode):
    vision = dict(model_type='clip_vision_model', hidden_size=p['vision_hidden'], intermediate_size=p['vision_mlp'],
                  num_hidden_layers=p['vision_layers'], num_attention_heads=p['vision_heads'],
                  image_size=p['image_size'], patch_size=p['patch_size'], num_channels=3, hidden_act='quick_gelu',
                  layer_norm_eps=1e-5, projection_dim=p['projection_dim'])
    text = dict(model_type='clip_text_model', hidden_size=p['text_hidden'], intermediate_size=p['text_mlp'],
                num_hidden_layers=p['text_layers'], num_attention_heads=p['text_heads'],
                max_position_embeddings=p['max_position'], vocab_size=vocab_size, hidden_act='quick_gelu',
                layer_norm_eps=1e-5, projection_dim=p['projection_dim'], bos_token_id=bos_id, eos_token_id=eos_id,
                pad_token_id=eos_id)
    config = dict(
        _name_or_path=f'thumbgate/random-clip-{preset}', architectures=['CLIPModel'], model_type='clip',
        projection_dim=p['projection_dim'], logit_scale_init_value=2.6592, text_config=text, vision_config=vision,
        thumbgate_random_weights=True,
        thumbgate_quantization=f'int8 {mode}',
        thumbgate_note='Randomly initialised by scripts/make-clip-model.py: its scores are not quality judgements.',
    )
    preprocessor = dict(
        crop_size=p['image_size'], do_center_crop=True, do_convert_rgb=True, do_normalize=True, do_resize=True,
        feature_extractor_type='CLIPFeatureExtractor', image_mean=[0.48145466, 0.4578275, 0.40821073],
        image_std=[0.26862954, 0.26130258, 0.27577711], resample=3, size=p['image_size'],
    )
    tokenizer_config = dict(
        add_prefix_space=False, bos_token='<|startoftext|>', clean_up_tokenization_spaces=True, do_lower_case=True,
        eos_token='<|endoftext|>', errors='replace', model_max_length=p['max_position'], pad_token='<|endoftext|>',
        tokenizer_class='CLIPTokenizer', unk_token='<|endoftext|>',
    )
    return config, preprocessor, tokenizer_config


def check(out, p, eos_id):
    """Runs both graphs once with onnxruntime and the tokenizer with HF tokenizers."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(out, 'tokenizer.json'))
    ids = tok.encode('A Good photo.').ids
    assert ids[-1] == eos_id and max(ids) == eos_id, ids
    vision = ort.InferenceSession(os.path.join(out, 'onnx', 'vision_model_quantized.onnx'))
    pix = np.random.default_rng(1).standard_normal((2, 3, p['image_size'], p['image_size'])).astype(np.float32)
    emb, hidden = vision.run(['image_embeds', 'last_hidden_state'], {'pixel_values': pix})
    assert emb.shape == (2, p['projection_dim']), emb.shape
    text = ort.InferenceSession(os.path.join(out, 'onnx', 'text_model_quantized.onnx'))
    (temb,) = text.run(['text_embeds'], {'input_ids': np.array([ids], dtype=np.int64)})
    assert temb.shape == (1, p['projection_dim']), temb.shape
    print(f'[make-clip-model] checked: tokens {ids}, image_embeds {emb.shape}, text_embeds {temb.shape}', file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--preset', choices=sorted(PRESETS), default='tiny')
    parser.add_argument('--out', required=True, help='model folder to write (config.json, onnx/, ...)')
    parser.add_argument('--seed', type=int, default=20261124)
    parser.add_argument('--fp32', action='store_true', help='also write the unquantised onnx/*_model.onnx')
    parser.add_argument('--quantization', choices=['dynamic', 'weights'],
                        help='int8 scheme: dynamic (like the real export; default for vit-b-32) or weight-only '
                             '(batch-invariant; default for tiny)')
    args = parser.parse_args()
    p = PRESETS[args.preset]
    rng = np.random.default_rng(args.seed)

    tokenizer = clip_tokenizer_json()
    eos_id = tokenizer['added_tokens'][1]['id']
    bos_id = tokenizer['added_tokens'][0]['id']
    vocab_size = p['vocab_size'] or eos_id + 1
    assert vocab_size > eos_id

    os.makedirs(os.path.join(args.out, 'onnx'), exist_ok=True)
    mode = args.quantization or ('weights' if args.preset == 'tiny' else 'dynamic')
    config, preprocessor, tokenizer_config = configs(p, vocab_size, eos_id, bos_id, args.preset, mode)
    for name, value in [('config.json', config), ('preprocessor_config.json', preprocessor),
                        ('tokenizer_config.json', tokenizer_config), ('tokenizer.json', tokenizer)]:
        with open(os.path.join(args.out, name), 'w', encoding='utf-8') as f:
            json.dump(value, f, indent=2, ensure_ascii=False)
            f.write('\n')

    for kind, model in [('vision', vision_model(p, rng)), ('text', text_model(p, rng, vocab_size))]:
        onnx.checker.check_model(model)
        if args.fp32:
            onnx.save(model, os.path.join(args.out, 'onnx', f'{kind}_model.onnx'))
        quantize(model, os.path.join(args.out, 'onnx', f'{kind}_model_quantized.onnx'), mode)
    check(args.out, p, eos_id)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.out) for f in fs)
    print(f'[make-clip-model] wrote {args.preset} CLIP (random weights) to {args.out}: {total / 1e6:.2f} MB', file=sys.stderr)


if __name__ == '__main__':
    main()
