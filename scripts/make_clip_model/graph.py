"""Graph: collects ONNX nodes and random initialisers, with the CLIP transformer blocks both towers use."""
import numpy as np
from onnx import helper, numpy_helper

# onnxruntime-node 1.14 (bundled by @xenova/transformers 2.17.2) reads IR version <= 8, opset <= 17.
IR_VERSION = 8
OPSET = 17


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
