"""Models, training loops, data, metrics and the CLI of GAN Latent Explorer. No Qt here."""
