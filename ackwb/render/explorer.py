"""The explorer: choose a world, a domain and a client with widgets, run the trace, see where it breaks.

``notebooks/explorer.ipynb`` shows ``Explorer(...)``. The logic lives here so the notebook
stays short and a test can press the button (call ``on_run``) and read the output.
``explore_html(trace)`` is what the output area shows — where the request stops, the
path diagram (blocked hops red, unknown grey) and the findings table — and the notebook's
last cell displays it for the parameter values, so the notebook has its result headless
without any widget being touched. ipywidgets is imported only when an Explorer is built.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path as FilePath
from typing import Any

from ackwb.errors import AckwbError
from ackwb.model import Trace, Verdict
from ackwb.render.html import VERDICT_COLOURS, rows_html
from ackwb.trace import dead_end
from ackwb.workbook import Workbook

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
WORLD_HINT = "a world folder or snapshot .zip; empty: the demo scenario above"


def explore_html(trace: Trace) -> str:
    """Heading, where the request stops (or that it gets through), the diagram and the findings."""
    client = trace.client.ip or "any internet client"
    verdict = trace.verdict
    reason = dead_end(trace)
    if reason:
        outcome = f"the request stops: {html.escape(reason)}"
    elif verdict is Verdict.OK:
        outcome = "the request gets through"
    else:
        outcome = f"the request path is {verdict.value}: see the findings"
    colour = VERDICT_COLOURS[Verdict.BLOCKED if reason else verdict]
    parts = [
        f"<h3>{html.escape(trace.domain)}</h3>",
        f"<p>client {html.escape(client)}, port {trace.client.port}, path "
        f"<code>{html.escape(trace.client.path)}</code>{_headers_html(trace)} · "
        f"{html.escape(trace.world)}</p>",
        f'<p class="ackwb-outcome" style="border-left:4px solid {colour};padding:4px 8px;'
        f'font-weight:bold;color:{colour}">{outcome}</p>',
        trace.diagram()._repr_html_(),
        "<h4>Findings</h4>",
        rows_html(finding_rows(trace)) if trace.findings else "<p><em>No findings.</em></p>",
    ]
    return '<div class="ackwb-explorer-result">' + "".join(parts) + "</div>"


def _headers_html(trace: Trace) -> str:
    sent = "; ".join(f"{name}: {value}" for name, value in trace.client.headers)
    return f", headers <code>{html.escape(sent)}</code>" if sent else ""


def finding_rows(trace: Trace) -> list[dict[str, str]]:
    """The findings table: most severe first."""
    ordered = sorted(trace.findings, key=lambda f: SEVERITY_ORDER.get(f.severity.value, 3))
    return [
        {
            "severity": f.severity.value,
            "code": f.code,
            "hop": f.hop,
            "message": f.message,
            "check by hand": f.check,
        }
        for f in ordered
    ]


class ExploreResult:
    """A trace shown the explorer's way (what the notebook's last cell displays)."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace

    def _repr_html_(self) -> str:
        return explore_html(self.trace)

    def __repr__(self) -> str:
        reason = dead_end(self.trace)
        return f"{self.trace.domain}: {reason or self.trace.verdict.value}"


def listener_ports(wb: Workbook, domain: str) -> list[int]:
    """The ports the domain's load balancer listens on ([] when the name leads to none)."""
    try:
        return sorted({listener.port for listener in wb.slb(wb.dns(domain)).listeners})
    except AckwbError:
        return []


class Explorer:
    """Widgets to pick world, domain and client; the Run button traces and shows the result."""

    def __init__(
        self,
        scenario: str = "healthy",
        world: str | None = None,
        domain: str | None = None,
        client_ip: str | None = None,
        port: int = 80,
        path: str = "/",
        headers: Sequence[str] | str = (),
    ) -> None:
        import ipywidgets as w

        wide = w.Layout(width="520px")
        scenarios = Workbook.scenarios()
        self.scenario = w.Dropdown(
            options=[(f"{name}: {about}", name) for name, about in scenarios.items()],
            value=scenario if scenario in scenarios else next(iter(scenarios)),
            description="scenario",
            layout=wide,
        )
        self.world = w.Text(
            value=str(world or ""), placeholder=WORLD_HINT, description="world", continuous_update=False
        )
        self.domain = w.Dropdown(description="domain", layout=wide)
        self.client_ip = w.Text(
            value=client_ip or "", placeholder="any internet client", description="client IP"
        )
        self.port = w.IntText(value=port, description="port")
        self.ports_hint = w.HTML()
        self.path = w.Text(value=path, description="path")
        self.headers = w.Textarea(  # request headers nginx may decide on (a canary header), one a line
            value=headers if isinstance(headers, str) else "\n".join(headers),
            placeholder="Name: value, one a line (e.g. X-Canary: always)",
            description="headers",
            layout=wide,
        )
        self.run_button = w.Button(description="Run trace", button_style="primary", icon="play")
        self.status = w.HTML()
        self.output = w.Output()
        self.widget = w.VBox(
            [
                self.scenario,
                self.world,
                self.domain,
                self.client_ip,
                w.HBox([self.port, self.ports_hint]),
                self.path,
                self.headers,
                self.run_button,
                self.status,
                self.output,
            ]
        )
        self.trace: Trace | None = None  # the last trace run
        self.shown = ""  # the HTML the output area shows
        self._workbooks: dict[str, Workbook] = {}
        self.scenario.observe(self.on_world_change, names="value")
        self.world.observe(self.on_world_change, names="value")
        self.domain.observe(self.on_domain_change, names="value")
        self.run_button.on_click(self.on_run)
        self.on_world_change()
        if domain and domain in self.domain.options:
            self.domain.value = domain

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def workbook(self) -> Workbook:
        """The chosen world (the folder or snapshot if given, else the scenario), opened once."""
        key = self.world.value.strip() or f"scenario:{self.scenario.value}"
        if key not in self._workbooks:
            if self.world.value.strip():
                self._workbooks[key] = Workbook.from_world(FilePath(key))
            else:
                self._workbooks[key] = Workbook.demo(self.scenario.value)
        return self._workbooks[key]

    def on_world_change(self, change: Any = None) -> None:
        """Fill the domain list from the chosen world's Ingress hosts."""
        try:
            wb = self.workbook()
            domains = wb.domains()
        except AckwbError as error:
            self.domain.options = []
            self._say(f"cannot open the world: {error}", error=True)
            return
        previous = self.domain.value
        self.domain.options = domains
        if domains:  # keep the chosen domain when the new world serves it, else take the first
            self.domain.value = previous if previous in domains else domains[0]
        self._say(f"world: {wb.description} · {len(domains)} domains")
        self.on_domain_change()

    def on_domain_change(self, change: Any = None) -> None:
        """Show the ports the domain's load balancer listens on."""
        ports = listener_ports(self.workbook(), self.domain.value) if self.domain.value else []
        hint = ", ".join(map(str, ports)) if ports else "none found"
        self.ports_hint.value = f"<span style='color:#555'>listener ports: {hint}</span>"

    def on_run(self, button: Any = None) -> Trace | None:
        """Trace the chosen domain for the chosen client and show the result; returns the trace."""
        try:
            if not self.domain.value:
                raise AckwbError("choose a domain first (the world serves none)")
            headers = [line.strip() for line in self.headers.value.splitlines() if line.strip()]
            trace = self.workbook().trace(
                self.domain.value,
                self.client_ip.value.strip() or None,
                self.port.value,
                self.path.value,
                headers=headers,
            )
        except AckwbError as error:
            self.trace = None
            self._show(f"<p style='color:#c0392b'><b>ackwb:</b> {html.escape(str(error))}</p>")
            return None
        self.trace = trace
        self._show(explore_html(trace))
        return trace

    def _show(self, page: str) -> None:
        """Replace what the output area shows (works with or without a running kernel)."""
        from IPython.display import HTML

        self.shown = page
        self.output.outputs = ()
        self.output.append_display_data(HTML(page))

    def _say(self, text: str, error: bool = False) -> None:
        colour = "#c0392b" if error else "#555"
        self.status.value = f"<span style='color:{colour}'>{html.escape(text)}</span>"
