"""Admin commands: ``flask --app wsgi <group> <command>``, one module per group."""

from __future__ import annotations

from flask import Flask

from bot.cli import cluster, export, jobs, member, notice, program, staff, stats, store, visits


def init_app(app: Flask) -> None:
    """Register the command groups."""
    visits.register()  # store beacon / store checkin, in the store group
    app.cli.add_command(store.group)
    app.cli.add_command(staff.group)
    app.cli.add_command(member.group)
    app.cli.add_command(program.group)
    app.cli.add_command(jobs.group)
    app.cli.add_command(notice.group)
    app.cli.add_command(stats.stats)
    app.cli.add_command(export.group)
    app.cli.add_command(cluster.group)
