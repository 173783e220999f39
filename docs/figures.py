"""Draw the user guide's timeline figure from the bundled sample: ``python docs/figures.py``."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import toolkit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    df = toolkit.load_logs(ROOT / "data" / "sample")
    fig, ax = plt.subplots(figsize=(11, 4), layout="constrained")
    toolkit.plots.timeline(df, freq="1h", ax=ax)
    ax.set_yscale("symlog", linthresh=10)  # storms of thousands next to spells of dozens
    fig.savefig(ROOT / "docs" / "timeline.png", dpi=80)


if __name__ == "__main__":
    main()
