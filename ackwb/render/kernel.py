"""A kernel manager that shuts a finished kernel down without interrupting it first.

``ackwb report`` once printed ``KeyboardInterrupt caught in kernel.`` on stderr although the
report was written. The line comes from the kernel, and the kernel's stderr is ours:
jupyter_client's ``shutdown_kernel`` always sends the kernel SIGINT (an interrupt) before its
``shutdown_request``. An idle ipykernel ignores SIGINT, but while it is still inside a message
handler (ipykernel installs Python's default SIGINT handler around each one) the interrupt
becomes a ``KeyboardInterrupt``, which ipykernel catches and logs as an error. Whether the
kernel is still in a handler when the signal lands is a race, so the line came and went.

A notebook that has run to its end has nothing to interrupt, so this manager skips the
interrupt while shutting down: the kernel gets the shutdown request alone (and, as before,
SIGTERM then SIGKILL if it does not leave in time). Interrupts asked for at any other time,
such as a cell timeout, are sent as usual. jupyter_client is imported only when the class is
first asked for, so importing this module stays cheap.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def quiet_kernel_manager() -> type[Any]:
    """The ``AsyncKernelManager`` subclass to hand to nbclient or papermill (``kernel_manager_class``)."""
    from jupyter_client import AsyncKernelManager

    class QuietShutdownKernelManager(AsyncKernelManager):
        """Skips the SIGINT that ``shutdown_kernel`` sends before asking the kernel to stop."""

        async def _async_interrupt_kernel(self) -> None:
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return QuietShutdownKernelManager
