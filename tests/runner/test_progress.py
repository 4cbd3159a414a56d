"""The sweep's progress line: counts, and an ETA weighted by what each kind of node took."""

from __future__ import annotations

import io

from linearization_fairness.runner.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_eta_weighs_the_nodes_left_by_what_their_kind_took() -> None:
    clock, stream = Clock(), io.StringIO()
    nodes = ["a.s0.train", "a.s1.train", "a.s2.train", "a.s0.plot", "a.s1.plot", "a.report"]
    progress = Progress(nodes, stream=stream, now=clock, every=0.0)
    assert progress.eta() is None
    for node in nodes[:2] + nodes[3:4]:
        progress.start(node)
    clock.now = 10.0
    progress.finish("a.s0.train", 10.0)
    progress.finish("a.s1.train", 10.0)
    progress.finish("a.s0.plot", 1.0)
    # Left: one train (10 s), one plot (1 s), one report of an unseen kind (the mean, 7 s); 21 s
    # of work were done in 10 s, so two nodes ran at a time.
    assert progress.eta() == (10.0 + 1.0 + 7.0) / 2.1
    assert stream.getvalue().splitlines()[-1].startswith("[3/6 done, 0 in flight, 0 failed] 0:10 elapsed, ETA 0:09")


def test_failures_and_the_nodes_they_block_are_counted_and_kept_on_screen() -> None:
    clock, stream = Clock(), io.StringIO()
    progress = Progress(["a.train", "a.plot", "b.train"], stream=stream, now=clock, every=0.0)
    progress.start("a.train")
    progress.start("b.train")
    clock.now = 5.0
    progress.fail("a.train", "ValueError: lr must be positive")
    progress.skip("a.plot")
    progress.finish("b.train", 4.0)
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("a.train FAILED: ValueError: lr must be positive")
    assert lines[1].startswith("[1/3 done, 0 in flight, 1 failed, 1 skipped]")
    assert progress.eta() == 0.0


def test_on_a_terminal_finished_nodes_share_one_live_line_and_failures_stay() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    clock, stream = Clock(), Terminal()
    progress = Progress(["a.train", "b.train", "c.train"], stream=stream, now=clock)
    progress.finish("a.train", 1.0)
    progress.fail("b.train", "ValueError: lr must be positive")
    progress.finish("c.train", 1.0)
    progress.close()
    kept_lines = stream.getvalue().split("\n")
    # The first finish is overwritten by the failure, which stays; the last finish stays once closed.
    assert kept_lines[0].count("\r\x1b[2K") == 2 and kept_lines[0].endswith("b.train FAILED: ValueError: lr must be positive")
    assert kept_lines[1].startswith("\r\x1b[2K[2/3 done") and kept_lines[1].endswith("c.train (1.0 s)")
    assert kept_lines[2] == ""


def test_off_a_terminal_a_finished_node_gets_a_line_every_so_often_failures_and_the_last_always() -> None:
    clock, stream = Clock(), io.StringIO()
    nodes = [f"a.s{seed}.train" for seed in range(6)]
    progress = Progress(nodes, stream=stream, now=clock, every=10.0)
    for seconds, node in zip((4.0, 11.0, 12.0, 13.0), nodes):
        clock.now = seconds
        progress.finish(node, 1.0)
    progress.fail(nodes[4], "ValueError: lr must be positive")
    clock.now = 14.0
    progress.finish(nodes[5], 1.0)
    lines = stream.getvalue().splitlines()
    assert [line.split("]")[0] for line in lines] == [
        "[2/6 done, 0 in flight, 0 failed",  # 11 s after the start
        "[4/6 done, 0 in flight, 1 failed",  # the failure
        "[5/6 done, 0 in flight, 1 failed",  # the last node
    ]
