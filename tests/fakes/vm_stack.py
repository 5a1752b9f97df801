"""A Prometheus-compatible engine behind an auth proxy, for tests: Debian's victoria-metrics.

``start_vm_stack(workdir, scrape_configs, rule_files, token)`` starts, on free loopback ports:
VictoriaMetrics scraping ``scrape_configs`` (its query API also under ``/prometheus``),
Alertmanager serving under ``/alertmanager``, vmalert evaluating ``rule_files`` against
VictoriaMetrics and notifying Alertmanager (serving its rules and alerts API under
``/prometheus``), and vmauth in front of all of it: with ``Authorization: Bearer <token>``,
``/prometheus/api/v1/alerts`` and ``/rules`` go to vmalert, the rest of ``/prometheus/...`` to
VictoriaMetrics and ``/alertmanager/...`` to Alertmanager; without it, 401. ``stack.prometheus_url`` and ``stack.alertmanager_url`` are the
prefixed URLs aiops is configured with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import free_port, require
from tests.fakes.prom_stack import AM_CONFIG, ServerProcess, _spawn


@dataclass
class VMStack:
    vm: ServerProcess
    vmalert: ServerProcess
    alertmanager: ServerProcess
    vmauth: ServerProcess
    token: str
    extra: list[ServerProcess] = field(default_factory=list)

    @property
    def prometheus_url(self) -> str:
        return self.vmauth.url + "/prometheus"

    @property
    def alertmanager_url(self) -> str:
        return self.vmauth.url + "/alertmanager"

    def stop(self) -> None:
        for server in (self.vmauth, self.vmalert, self.alertmanager, self.vm, *self.extra):
            server.stop()


def start_vm_stack(workdir: Path, scrape_configs: list[dict[str, Any]], rule_files: list[Path],
                   token: str) -> VMStack:
    vm_bin = require("victoria-metrics", binary=True)
    vmalert_bin = require("vmalert", binary=True)
    vmauth_bin = require("vmauth", binary=True)
    am_bin = require("prometheus-alertmanager", binary=True)
    workdir = Path(workdir) / f"vm-{free_port()}"
    workdir.mkdir(parents=True)
    started: list[ServerProcess] = []
    try:
        am_port = free_port()
        am_config = workdir / "alertmanager.yml"
        am_config.write_text(AM_CONFIG)
        am = _spawn("alertmanager", [am_bin, f"--config.file={am_config}",
                                     f"--web.listen-address=127.0.0.1:{am_port}",
                                     f"--storage.path={workdir / 'am-data'}", "--cluster.listen-address=",
                                     "--web.route-prefix=/alertmanager", "--log.level=warn"],
                    workdir, f"http://127.0.0.1:{am_port}", am_config, ready="/alertmanager/-/ready")
        started.append(am)

        vm_port, vmalert_port = free_port(), free_port()
        scrape = workdir / "scrape.yml"
        scrape.write_text(json.dumps({"global": {"scrape_interval": "1s"}, "scrape_configs": scrape_configs}))
        vm = _spawn("victoria-metrics", [vm_bin, f"-httpListenAddr=127.0.0.1:{vm_port}",
                                         f"-storageDataPath={workdir / 'vm-data'}",
                                         f"-promscrape.config={scrape}", "-search.latencyOffset=1s",
                                         "-loggerLevel=ERROR"],
                    workdir, f"http://127.0.0.1:{vm_port}", scrape, ready="/health")
        started.append(vm)

        vmalert = _spawn("vmalert", [vmalert_bin, *[f"-rule={p}" for p in rule_files],
                                     f"-datasource.url={vm.url}",
                                     f"-notifier.url={am.url}/alertmanager",
                                     "-evaluationInterval=1s", f"-httpListenAddr=127.0.0.1:{vmalert_port}",
                                     "-http.pathPrefix=/prometheus", "-loggerLevel=ERROR"],
                         workdir, f"http://127.0.0.1:{vmalert_port}/prometheus", rule_files[0],
                         ready="/health")
        started.append(vmalert)

        auth_port = free_port()
        auth = workdir / "vmauth.yml"
        auth.write_text(json.dumps({"users": [{"bearer_token": token, "url_map": [
            {"src_paths": ["/prometheus/api/v1/alerts", "/prometheus/api/v1/rules"],
             "url_prefix": f"http://127.0.0.1:{vmalert_port}"},
            {"src_paths": ["/prometheus/.*"], "url_prefix": vm.url},
            {"src_paths": ["/alertmanager/.*"], "url_prefix": am.url},
        ]}]}))
        vmauth = _spawn("vmauth", [vmauth_bin, f"-auth.config={auth}", f"-httpListenAddr=127.0.0.1:{auth_port}",
                                   "-loggerLevel=ERROR"],
                        workdir, f"http://127.0.0.1:{auth_port}", auth, ready="/health")
        started.append(vmauth)
    except BaseException:
        for server in started:
            server.stop()
        raise
    return VMStack(vm, vmalert, am, vmauth, token)
