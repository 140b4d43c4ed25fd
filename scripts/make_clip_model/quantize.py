"""int8 quantisation of a tower, pinned to the IR version and opset onnxruntime-node 1.14 reads."""
import os
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper

from .graph import IR_VERSION, OPSET


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
