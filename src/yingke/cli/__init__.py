"""The `yingke` console script."""


def main(argv=None):
    from yingke.cli.main import main as run

    return run(argv)
