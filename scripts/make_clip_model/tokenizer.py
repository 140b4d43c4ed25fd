"""A real HF tokenizers-format CLIP tokenizer (byte-level BPE), its merges learnt from a small word list."""

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
