"""`make bench`: the bookstore's measured performance, as ratios against baselines measured
in the same run (see issue 9). Run `python -m bench` (full) or `python -m bench --quick`."""
