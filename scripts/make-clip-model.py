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

# The modules under scripts/make_clip_model/ hold the parts (tokenizer, graph builder, towers,
# quantisation, configs); they import numpy and onnx at the top, so only after ensure_packages().
# No .pyc files beside them: scripts/ is committed and has no __pycache__ ignore.
sys.dont_write_bytecode = True

import numpy as np  # noqa: E402
import onnx  # noqa: E402

from make_clip_model.configs import PRESETS, configs  # noqa: E402
from make_clip_model.quantize import quantize  # noqa: E402
from make_clip_model.tokenizer import clip_tokenizer_json  # noqa: E402
from make_clip_model.towers import text_model, vision_model  # noqa: E402


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
