"""Graders on JupyterHub: the ``jupyterhub_config.py`` of a course's grading hub.

Each grader logs in to the hub and gets a single-user Jupyter server of their own,
started in the shared course folder with nbgrader's formgrader and evalround's grading
desk. The desk takes the grader's name from the hub (``grading_desk.hub_user``), so
every mark, history row and calibration pair is the hub user, never a typed name.

``hub_config`` is pure: it returns the file's text. ``evalround hub-config`` writes it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from evalround.course import Course, CourseError
from evalround.rubric import RubricError, check_grader

CONFIG_NAME = "jupyterhub_config.py"
# Where `make install` puts JupyterHub's proxy (npm install --prefix .venv/node).
PROXY = Path(sys.prefix) / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
ROOT_LINE = "c.CourseDirectory.root"

TEMPLATE = '''\
# JupyterHub for the graders of the evalround course {root}
# Written by `evalround hub-config`; start it with: jupyterhub -f {config}
# (docs/jupyterhub.md explains each part and what to change for your team).

c = get_config()  # noqa: F821

COURSE = {root!r}
GRADERS = {graders!r}
ADMINS = {admins!r}

c.JupyterHub.bind_url = {url!r}
# Terminate TLS in front of the hub (a reverse proxy), or give the hub its certificate:
# c.JupyterHub.ssl_cert = "/etc/letsencrypt/live/grading.example.com/fullchain.pem"
# c.JupyterHub.ssl_key = "/etc/letsencrypt/live/grading.example.com/privkey.pem"

# Who may log in, and so who may grade: the graders (and the admins). PAM checks each
# one's password on this machine, where each has a system account. With single sign-on,
# use an OAuthenticator instead (pip install oauthenticator), for example:
#   c.JupyterHub.authenticator_class = "github"
#   c.GitHubOAuthenticator.oauth_callback_url = "https://grading.example.com/hub/oauth_callback"
#   c.GitHubOAuthenticator.allowed_organizations = {{"your-org:hiring-graders"}}
# The grader's hub name is the name on every mark and in `evalround calibrate`.
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set(GRADERS)
c.Authenticator.admin_users = set(ADMINS)
# The hub group of this course's graders (add one with the hub's admin page and put
# their name in GRADERS; the group is created from this list each time the hub starts).
c.JupyterHub.load_groups = {{{group!r}: {{"users": GRADERS}}}}

# Each grader's own server: evalround's environment, started in the shared course folder
# (every grader's system account needs to read and write it: give the graders one Unix
# group that owns the folder, with chmod -R g+rwX and g+s on its folders). The formgrader
# finds the course's nbgrader_config.py on JUPYTER_CONFIG_PATH, the desk the course on
# EVALROUND_COURSE.
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.notebook_dir = COURSE
c.Spawner.default_url = "/evalround/desk"
c.Spawner.args = ["--ServerApp.jpserver_extensions", "evalround.grading_desk=True"]
c.Spawner.environment = {{"EVALROUND_COURSE": COURSE, "JUPYTER_CONFIG_PATH": COURSE}}

# JupyterHub's proxy, installed by evalround's `make install` from the npm registry.
c.ConfigurableHTTPProxy.command = [{proxy!r}]
'''


def hub_config(course: Course, graders: Sequence[str], admins: Sequence[str] = (),
               url: str = "http://127.0.0.1:8000", config_path: Path | None = None) -> str:
    """The text of a ``jupyterhub_config.py`` for ``course``'s graders."""
    if not graders:
        raise CourseError("name at least one grader (--graders rhea sam)")
    try:
        names = sorted({check_grader(g) for g in graders})
        admin_names = sorted({check_grader(a) for a in admins})
    except RubricError as exc:
        raise CourseError(f"hub user: {exc}") from None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CourseError(f"--url {url!r}: give the address the hub listens on, such as "
                          f"http://0.0.0.0:8000")
    config = (course.root / "nbgrader_config.py").read_text(encoding="utf-8") if (
        course.root / "nbgrader_config.py").exists() else ""
    if ROOT_LINE not in config:
        raise CourseError(
            f"{course.root / 'nbgrader_config.py'} does not say where the course is, so "
            f"graders' servers (started in their home folders) would not find it: add "
            f"`c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))`")
    return TEMPLATE.format(
        root=str(course.root), config=str(config_path or CONFIG_NAME), graders=names,
        admins=admin_names, url=url, group=f"graders-{course.root.name}",
        singleuser=str(Path(sys.executable).parent / "jupyterhub-singleuser"),
        proxy=str(PROXY))
