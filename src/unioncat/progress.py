"""Progress bars on the terminal (stderr), one per stage or library: `unioncat harvest`, `process`, `demo`."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True)


def progress_bars() -> Progress:
    return Progress(
        TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )


class StageBars:
    """One progress bar per stage or library, created on first report."""

    def __init__(self, progress: Progress, prefix: str = "") -> None:
        self.progress, self.prefix, self.tasks = progress, prefix, {}

    def __call__(self, name: str, done: int, total: int | None) -> None:
        if name not in self.tasks:
            self.tasks[name] = self.progress.add_task(f"{self.prefix}{name}", total=total or None)
        self.progress.update(self.tasks[name], completed=done, total=total or None)
