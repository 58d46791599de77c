"""Models, training loops, data, metrics and the CLI of GAN Latent Explorer. No Qt here."""

import os

# TensorFlow turns its oneDNN kernels on by default only on some Intel CPUs; on this project's
# AMD EPYC (AVX2) machines they make a training step 1.3-1.7x faster (benchmarks/train_speed.py).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
