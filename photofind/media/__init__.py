"""Reading photos: decoding (upright, draft mode, bomb guard), content hashes and perceptual
fingerprints. Nothing here knows about the store or the model."""
