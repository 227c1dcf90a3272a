"""`make bench`: the bookstore's measured performance, as ratios against baselines measured
in the same run (`bench/RESULTS.md` says what each figure is). Run `python -m bench` (full)
or `python -m bench --quick`."""
