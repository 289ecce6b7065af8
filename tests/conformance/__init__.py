"""The generative conformance suite: neutral answers, per-provider stream writers, properties."""
