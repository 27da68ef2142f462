"""The benchmark: a generated data set, the forum and two floors served by gunicorn, measured."""
