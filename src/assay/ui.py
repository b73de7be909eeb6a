"""Console output: rich tables on a terminal, plain text when piped; progress bars only on a terminal."""

from __future__ import annotations

import atexit
from collections.abc import Callable

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def progress_factory(description: str) -> Callable[[int], Callable[[int], None]]:
    """A factory the engine calls with the total; returns an ``advance(n)`` callback.

    Shows a bar with count, rate and ETA on stderr when it is a terminal; otherwise does nothing, so
    piped output stays quiet and nothing slows a long run down.
    """

    def start(total: int) -> Callable[[int], None]:
        if not err_console.is_terminal:
            return lambda n: None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("[cyan]{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err_console,
            transient=False,
        )
        task = bar.add_task(description, total=total, rate="")
        bar.start()
        atexit.register(bar.stop)
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            speed = bar.tasks[0].speed
            bar.update(task, advance=n, rate=f"{speed:,.1f} req/s" if speed else "")
            if done >= total:
                bar.stop()

        return advance

    return start
