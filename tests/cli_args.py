"""Arguments of the short real training runs the CLI tests make."""


def quick_train_args(metrics_every: int = 2) -> list[str]:
    """Batch 8 of the bundled digits, a grid and a checkpoint every 2 steps, float32."""
    return (
        "--batch-size 8 --data bundled --grid-every 2 --checkpoint-every 2 --precision float32 "
        f"--metrics-every {metrics_every}"
    ).split()
