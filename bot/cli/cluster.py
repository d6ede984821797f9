"""``flask --app wsgi cluster migrate --to URL``: move the bot's data from its single Redis
onto an empty Redis Cluster (and, with ``--queues-to``, its queues onto their own Redis)."""

from __future__ import annotations

import click
import redis
from flask.cli import AppGroup
from redis.exceptions import RedisClusterException
from rq import Worker

from bot.cli.common import count
from bot.services import services
from bot.store.clients import connect
from bot.store.cluster_copy import ClusterCopy, CopyRefused, Report

group = AppGroup("cluster", help="Move the bot's data onto a Redis Cluster.")


@group.command("migrate")
@click.option("--to", "target_url", required=True, help="Any node of the empty Redis Cluster.")
@click.option(
    "--queues-to",
    "queues_url",
    help="A Redis of its own for the job queues (QUEUE_REDIS_URL); without it the queues "
    "stay where they are.",
)
@click.option("--dry-run", is_flag=True, help="Count what would be copied; change nothing.")
@click.option("--resume", is_flag=True, help="Finish a copy that stopped half-way.")
def migrate(target_url: str, queues_url: str | None, dry_run: bool, resume: bool) -> None:
    """Copy every key of this bot's single Redis (REDIS_URL) into an empty Redis Cluster,
    under the names the bot uses there. Stop every bot process first."""
    svc = services()
    if svc.settings.redis_cluster:
        raise click.ClickException(
            "REDIS_CLUSTER is already on: run this with the settings of the single Redis"
        )
    source = svc.settings.redis_url
    try:
        _same_redis_refused(source, target_url, queues_url)
        if not dry_run:
            _workers_refused(svc.queue_redis)
            # What earlier versions left out of the indexes goes in now: a cluster never
            # back-fills (bot/store/redis_store.py), so its copy must be whole.
            svc.store.index_older_members()
            svc.store.store_ids()
        copier = ClusterCopy(
            connect(source, timeout=30, decode=False),
            _cluster(target_url),
            queues=_queues(svc.settings.queues_url, queues_url),
        )
        with copier:
            _same_server_refused(copier)
            report = _copy(copier, dry_run=dry_run, resume=resume)
    except CopyRefused as refused:
        raise click.ClickException(str(refused)) from None
    except RedisClusterException as exc:
        raise click.ClickException(f"--to {target_url}: {exc}") from None
    except redis.RedisError as exc:
        raise click.ClickException(
            f"Redis did not answer ({exc}); once it does, run again (with --resume if the "
            "copy had started)"
        ) from None
    if report is None:
        click.echo("Dry run, nothing copied.")
        return
    click.echo(f"Done: {report.summary()}.")
    click.echo(f"{count(report.members, 'member')} on the cluster. Now set, for every process:")
    click.echo(f"  REDIS_CLUSTER=1\n  REDIS_URL={target_url}")
    click.echo(f"  QUEUE_REDIS_URL={queues_url or svc.settings.queues_url}")
    click.echo("and start them again; keep REDIS_URL's Redis until the bot runs on the cluster.")


def _copy(copier: ClusterCopy, *, dry_run: bool, resume: bool) -> Report | None:
    """Plan, check the cluster, copy: what was copied (None on a dry run)."""
    plan = copier.plan()
    if plan.unknown_count:
        shown = "\n  ".join(plan.unknown)
        raise CopyRefused(
            f"{count(plan.unknown_count, 'key')} in REDIS_URL the bot never writes, for "
            f"example:\n  {shown}\nmove or delete them first: the copy takes only the "
            "bot's keys, and a newer bot's keys need that version's migrate"
        )
    click.echo(f"to copy: {plan.summary()}")
    copier.check_target(resume=resume)
    if dry_run:
        return None
    return copier.run(on_batch=_Progress())


def _same_redis_refused(source: str, target: str, queues: str | None) -> None:
    if target == source:
        raise CopyRefused("--to is REDIS_URL itself: give the cluster's address")
    if queues is not None and queues in (source, target):
        raise CopyRefused("--queues-to must be a Redis of its own, not REDIS_URL or the cluster")


def _cluster(url: str) -> redis.Redis:
    try:
        return connect(url, timeout=30, cluster=True, decode=False)
    except RedisClusterException as exc:  # not a node of a cluster, most often
        raise CopyRefused(f"--to {url} is not a node of a Redis Cluster ({exc})") from None


def _same_server_refused(copier: ClusterCopy) -> None:
    """The queues' new Redis is neither the single Redis nor a node of the cluster, however
    their URLs are written."""
    if copier.queues is None:
        return
    queues = copier.queues[1].info("server")
    if queues.get("redis_mode") == "cluster":
        raise CopyRefused("--queues-to is a node of a Redis Cluster: RQ needs a Redis of its own")
    if queues["run_id"] in {copier.source.info("server")["run_id"],
                            copier.queues[0].info("server")["run_id"]}:  # fmt: skip
        raise CopyRefused(
            "--queues-to must be a Redis of its own, not REDIS_URL's or the queues' Redis now"
        )


def _workers_refused(queue_redis: redis.Redis) -> None:
    """A worker still registered may still be writing: its points could miss the copy."""
    running = Worker.count(connection=queue_redis)
    if running:
        raise CopyRefused(
            f"{count(running, 'worker')} of this bot still registered on the queues' Redis: "
            "stop every process (web, workers, pushes, clock) first; a worker that was killed "
            "stays registered for up to 7 minutes"
        )


def _queues(current: str, new: str | None) -> tuple[redis.Redis, redis.Redis] | None:
    if new is None:
        return None
    return connect(current, timeout=30, decode=False), connect(new, timeout=30, decode=False)


class _Progress:
    """A line on stderr every ``EVERY`` keys, so a long copy shows it is moving."""

    EVERY = 20_000

    def __init__(self) -> None:
        self.shown = 0

    def __call__(self, report: Report) -> None:
        done = report.copied + report.split + report.everywhere + report.dropped + report.gone
        if done - self.shown >= self.EVERY:
            self.shown = done
            click.echo(f"  {done:,} keys copied so far", err=True)
