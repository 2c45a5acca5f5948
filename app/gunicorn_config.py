"""gunicorn settings for Selfie: ``gunicorn -c python:app.gunicorn_config 'app:create_app()'``.

Shipped inside the package so an installed wheel has it too. Each value can be
changed from the environment (``GUNICORN_*`` below) without editing the file;
the systemd unit in ``deploy/`` uses it as it is.
"""

import os

#: Where nginx sends requests; loopback only, nginx terminates TLS.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
#: The usual (2 × cores) + 1 sync workers: Selfie waits on the database and the broker.
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1) + 1))
#: A worker silent this long is killed and replaced (above the broker timeout, 10 s by default).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
#: nginx keeps connections to the upstream open briefly.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
#: Whose X-Forwarded-* headers gunicorn believes (the portal's own trust is SELFIE_PROXY_HOPS).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
#: Replace workers now and then so a slow leak never grows unbounded.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
#: The portal logs each request itself (app/requestlog.py); an access log would repeat it.
accesslog = None
errorlog = "-"
#: Several portal masters may share a host (tests, a second port); none needs the control socket.
control_socket_disable = True
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
#: Header sizes as nginx allows them; request bodies are limited by nginx (client_max_body_size).
limit_request_line = 8190
limit_request_fields = 100
