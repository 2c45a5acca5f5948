"""``make benchmark``: run every benchmark and print its figures."""

from __future__ import annotations

from tests.benchmarks import import_bench


def main() -> None:
    import_bench.run()


if __name__ == "__main__":
    main()
