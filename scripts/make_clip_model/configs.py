"""The presets, and the JSON files Transformers.js reads beside the graphs."""

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
