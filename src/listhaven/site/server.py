"""Runs the WSGI application under gunicorn (never Django's development server)."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from listhaven.site.wsgi import application

        return application


def serve(host: str, port: int, workers: int = 2, threads: int = 4) -> None:
    print(f"Listhaven archive: http://{host}:{port}/", flush=True)
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread" if threads > 1 else "sync",
            "accesslog": None,
            "graceful_timeout": 5,
            "timeout": 60,
            # gunicorn's control socket is one path per user (~/.gunicorn/gunicorn.ctl): several
            # `listhaven serve` on a host took it from each other, and stopping one removed it
            "control_socket_disable": True,
        }
    ).run()
