"""The Cloud Tasks service layer: queues, tasks, and the dispatcher that runs due HTTP tasks.

All state sits behind one condition variable. The dispatcher thread sleeps until the
earliest moment a task can go out (its schedule time, or the next token of its queue's
bucket) or until something changes, so an idle server uses no CPU. Each attempt runs on
a worker thread; its outcome is written back under the same lock.
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from google.cloud.tasks_v2.types import queue as queue_types
from google.cloud.tasks_v2.types import target
from google.cloud.tasks_v2.types import task as task_types

from localcloud.pubsub.journal import Journal, decode_pb, encode_pb
from localcloud.pubsub.rpc import invalid_argument
from localcloud.tasks import names, policy
from localcloud.tasks.http import Attempt, Outcome, build_attempt, send

DEFAULT_DISPATCH_DEADLINE_S = 600
MIN_DISPATCH_DEADLINE_S = 15
MAX_DISPATCH_DEADLINE_S = 1800
MAX_SCHEDULE_AHEAD_S = 30 * 24 * 3600
MAX_TASK_BYTES = 1024 * 1024
# Cloud Tasks keeps a deleted or finished task's name reserved for about an hour for
# queues made through the API, and a deleted queue's name for about 7 days.
DEFAULT_TASK_NAME_REUSE_S = 3600.0
DEFAULT_QUEUE_NAME_REUSE_S = 7 * 24 * 3600.0
IDLE_WAKE_S = 60.0
RUNNING = int(queue_types.Queue.State.RUNNING)
PAUSED = int(queue_types.Queue.State.PAUSED)
BODY_METHODS = {int(target.HttpMethod.POST), int(target.HttpMethod.PUT), int(target.HttpMethod.PATCH)}

Send = Callable[[Attempt, float], Outcome]


@dataclass
class TaskRecord:
    task: Any  # google.cloud.tasks.v2.Task, full view
    seq: int
    running: bool = False
    first_attempt_s: float | None = None
    previous_status: int | None = None

    @property
    def eta_s(self) -> float:
        return _ts_seconds(self.task.schedule_time)


@dataclass
class QueueRecord:
    queue: Any  # google.cloud.tasks.v2.Queue
    bucket: policy.TokenBucket
    tasks: dict[str, TaskRecord] = field(default_factory=dict)
    running: int = 0


@dataclass(frozen=True)
class Launch:
    queue_name: str
    task_name: str
    attempt: Attempt
    timeout_s: float


def _ts_seconds(timestamp: Any) -> float:
    return float(timestamp.seconds) + timestamp.nanos / 1e9


def _set_ts(timestamp: Any, value_s: float) -> None:
    micros = round(value_s * 1e6)
    timestamp.seconds = micros // 1_000_000
    timestamp.nanos = (micros % 1_000_000) * 1000


def _duration_s(duration: Any) -> float:
    return float(duration.seconds) + duration.nanos / 1e9


_HTTP_TO_RPC = {400: 3, 401: 16, 403: 7, 404: 5, 409: 10, 429: 8, 499: 1, 501: 12, 503: 14, 504: 4}


def _rpc_code(status: int) -> int:
    if 200 <= status < 300:
        return 0
    if status == 0:
        return 4  # DEADLINE_EXCEEDED / unreachable
    return _HTTP_TO_RPC.get(status, 13 if status >= 500 else 9)


class TaskQueues:
    def __init__(
        self,
        *,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        send_attempt: Send = send,
        workers: int = 32,
        task_name_reuse_s: float = DEFAULT_TASK_NAME_REUSE_S,
        queue_name_reuse_s: float = DEFAULT_QUEUE_NAME_REUSE_S,
        journal: Journal | None = None,
    ) -> None:
        self._wall = wall
        self._send = send_attempt
        self._task_name_reuse_s = task_name_reuse_s
        self._queue_name_reuse_s = queue_name_reuse_s
        self._cond = threading.Condition()
        self._queues: dict[str, QueueRecord] = {}
        self._task_tombstones: dict[str, float] = {}
        self._queue_tombstones: dict[str, float] = {}
        self._seq = itertools.count(1)
        self._stopped = False
        self._journal = journal
        if journal is not None:
            self._restore(journal.replay())
            journal.open(self._state_records())
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tasks-dispatch")
        self._thread = threading.Thread(target=self._dispatch_forever, name="tasks-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join(timeout=2)
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._journal is not None:
            with self._cond:
                self._journal.close()

    def _now_s(self) -> float:
        return self._wall().timestamp()

    # ------------------------------------------------------------------ queues
    def create_queue(self, parent: str, queue: Any) -> Any:
        names.validate_parent(parent)
        names.validate_queue(queue.name)
        if names.parent_of_queue(queue.name) != parent:
            raise invalid_argument("The queue name must be within the parent location.")
        if queue.HasField("app_engine_routing_override"):
            raise invalid_argument("App Engine queues are not supported by the localcloud emulator.")
        normalised = policy.normalise_queue(queue)
        normalised.state = RUNNING
        with self._cond:
            now = self._now_s()
            if queue.name in self._queues:
                raise names.entity_exists()
            if self._reserved(self._queue_tombstones, queue.name, now):
                raise names.queue_name_reserved()
            self._queues[queue.name] = QueueRecord(normalised, self._bucket_for(normalised, now))
            self._record_queue(normalised)
            return self._copy(normalised)

    def get_queue(self, name: str) -> Any:
        names.validate_queue(name)
        with self._cond:
            return self._copy(self._queue(name).queue)

    def list_queues(self, parent: str, filter_text: str, page_size: int, token: str) -> tuple[list[Any], str]:
        names.validate_parent(parent)
        wanted_state = _parse_state_filter(filter_text)
        with self._cond:
            found = sorted(
                name
                for name, record in self._queues.items()
                if names.parent_of_queue(name) == parent
                and (wanted_state is None or record.queue.state == wanted_state)
            )
            chunk, next_token = _page(found, page_size, token)
            return [self._copy(self._queues[n].queue) for n in chunk], next_token

    def update_queue(self, queue: Any, paths: list[str]) -> Any:
        names.validate_queue(queue.name)
        with self._cond:
            record = self._queues.get(queue.name)
            if record is None:
                # Cloud Tasks creates a queue that UpdateQueue names but that does not exist.
                return self.create_queue(names.parent_of_queue(queue.name), queue)
            candidate = queue_types.Queue.pb()()
            candidate.CopyFrom(record.queue)
            for path in paths or ["rate_limits", "retry_config", "stackdriver_logging_config", "http_target"]:
                _apply_mask_path(candidate, queue, path)
            normalised = policy.normalise_queue(candidate)
            normalised.state = record.queue.state
            record.queue = normalised
            record.bucket.reconfigure(
                normalised.rate_limits.max_dispatches_per_second,
                normalised.rate_limits.max_burst_size,
                self._now_s(),
            )
            self._record_queue(normalised)
            self._cond.notify_all()
            return self._copy(normalised)

    def delete_queue(self, name: str) -> None:
        names.validate_queue(name)
        with self._cond:
            if name not in self._queues:
                # Deleting a queue again answers NOT_FOUND, even while its name is still reserved: Google's own
                # samples (python-docs-samples delete_queue_test) delete twice and expect exactly that.
                raise names.entity_not_found()
            del self._queues[name]
            until = self._now_s() + self._queue_name_reuse_s
            self._queue_tombstones[name] = until
            self._record({"op": "queue_del", "name": name, "until": until})
            self._cond.notify_all()

    def set_state(self, name: str, state: int) -> Any:
        names.validate_queue(name)
        with self._cond:
            record = self._queue(name)
            record.queue.state = state
            if state == RUNNING:
                record.bucket = self._bucket_for(record.queue, self._now_s())
            self._record_queue(record.queue)
            self._cond.notify_all()
            return self._copy(record.queue)

    def purge_queue(self, name: str) -> Any:
        names.validate_queue(name)
        with self._cond:
            record = self._queue(name)
            now = self._now_s()
            _set_ts(record.queue.purge_time, now)
            self._record_queue(record.queue)
            for task_name in [n for n, t in record.tasks.items() if _ts_seconds(t.task.create_time) <= now]:
                self._forget_task(record, task_name, now)
            self._cond.notify_all()
            return self._copy(record.queue)

    # ------------------------------------------------------------------ tasks
    def create_task(self, parent: str, task: Any, view: int) -> Any:
        names.validate_queue(parent)
        self._validate_new_task(task)
        with self._cond:
            now = self._now_s()
            record = self._queues.get(parent)
            if record is None:
                raise names.queue_missing_for_task()
            stored = task_types.Task.pb()()
            stored.CopyFrom(task)
            if stored.name:
                if names.queue_of_task(stored.name) != parent:
                    raise invalid_argument("The task name must belong to the queue it is created in.")
                if stored.name in record.tasks:
                    raise names.entity_exists()
                if self._reserved(self._task_tombstones, stored.name, now):
                    raise names.task_name_reserved()
            else:
                stored.name = f"{parent}/tasks/{secrets.randbelow(10**19) + 10**19}"
            if not stored.http_request.http_method:
                stored.http_request.http_method = target.HttpMethod.POST
            if not stored.HasField("schedule_time") or _ts_seconds(stored.schedule_time) < now:
                _set_ts(stored.schedule_time, now)
            if _ts_seconds(stored.schedule_time) > now + MAX_SCHEDULE_AHEAD_S:
                raise invalid_argument("Task schedule_time is too far in the future (at most 30 days ahead).")
            if not stored.HasField("dispatch_deadline"):
                stored.dispatch_deadline.seconds = DEFAULT_DISPATCH_DEADLINE_S
            _set_ts(stored.create_time, now)
            record.tasks[stored.name] = TaskRecord(stored, next(self._seq))
            self._record_task(record.tasks[stored.name])
            self._cond.notify_all()
            return _render(stored, view)

    def get_task(self, name: str, view: int) -> Any:
        with self._cond:
            return _render(self._task(name).task, view)

    def list_tasks(self, parent: str, view: int, page_size: int, token: str) -> tuple[list[Any], str]:
        names.validate_queue(parent)
        with self._cond:
            record = self._queue(parent)
            ordered = sorted(record.tasks.values(), key=lambda t: (t.eta_s, t.seq))
            found = [t.task.name for t in ordered]
            chunk, next_token = _page(found, page_size, token, sort=False)
            return [_render(record.tasks[n].task, view) for n in chunk], next_token

    def delete_task(self, name: str) -> None:
        with self._cond:
            self._task(name)
            record = self._queues[names.queue_of_task(name)]
            self._forget_task(record, name, self._now_s())
            self._cond.notify_all()

    def run_task(self, name: str, view: int) -> Any:
        """Dispatch now, ignoring schedule, rate limits and a paused queue (as RunTask does)."""
        with self._cond:
            task_record = self._task(name)
            queue_record = self._queues[names.queue_of_task(name)]
            if not task_record.running:
                launch = self._start_attempt(
                    queue_record, task_record, self._now_s(), counts_toward_limits=False
                )
                self._pool.submit(self._run_attempt, launch, False)
            return _render(task_record.task, view)

    def tasks_due_within(self, horizon_s: float) -> int:
        """Tasks that will be dispatched in the next ``horizon_s`` seconds, and those being dispatched
        (a task stays held until its answer is recorded). A paused queue's tasks go nowhere by themselves."""
        with self._cond:
            until = self._now_s() + horizon_s
            return sum(1 for record in self._queues.values() for task in record.tasks.values()
                       if task.running or (record.queue.state == RUNNING and task.eta_s <= until))

    # ------------------------------------------------------------------ dispatching
    def _dispatch_forever(self) -> None:
        with self._cond:
            while not self._stopped:
                now = self._now_s()
                launches, wake_at = self._due_launches(now)
                for launch in launches:
                    self._pool.submit(self._run_attempt, launch, True)
                if launches:
                    continue
                timeout = IDLE_WAKE_S if wake_at is None else min(IDLE_WAKE_S, max(0.001, wake_at - now))
                self._cond.wait(timeout=timeout)

    def _due_launches(self, now: float) -> tuple[list[Launch], float | None]:
        launches: list[Launch] = []
        wake_at: float | None = None

        def consider(moment: float) -> None:
            nonlocal wake_at
            wake_at = moment if wake_at is None else min(wake_at, moment)

        for record in self._queues.values():
            if record.queue.state != RUNNING:
                continue
            waiting = sorted(
                (t for t in record.tasks.values() if not t.running), key=lambda t: (t.eta_s, t.seq)
            )
            for task_record in waiting:
                if task_record.eta_s > now:
                    consider(task_record.eta_s)
                    break
                if record.running >= record.queue.rate_limits.max_concurrent_dispatches:
                    break  # a finishing attempt notifies us
                if not record.bucket.try_take(now):
                    consider(now + record.bucket.seconds_until_token(now))
                    break
                launches.append(self._start_attempt(record, task_record, now, counts_toward_limits=True))
        return launches, wake_at

    def _start_attempt(
        self, record: QueueRecord, task_record: TaskRecord, now: float, *, counts_toward_limits: bool
    ) -> Launch:
        task = task_record.task
        attempt = build_attempt(
            task,
            queue_name=record.queue.name,
            retry_count=task.dispatch_count,
            execution_count=task.response_count,
            previous_status=task_record.previous_status,
            eta_s=task_record.eta_s,
            now=self._wall(),
        )
        task_record.running = True
        if counts_toward_limits:
            record.running += 1
        task.dispatch_count += 1
        attempt_pb = task_types.Attempt.pb()()
        attempt_pb.schedule_time.CopyFrom(task.schedule_time)
        _set_ts(attempt_pb.dispatch_time, now)
        if task_record.first_attempt_s is None:
            task_record.first_attempt_s = now
            # Cloud Tasks keeps only the dispatch time of the first attempt.
            _set_ts(task.first_attempt.dispatch_time, now)
        task.last_attempt.CopyFrom(attempt_pb)
        return Launch(record.queue.name, task.name, attempt, _duration_s(task.dispatch_deadline))

    def _run_attempt(self, launch: Launch, counted: bool) -> None:
        outcome = self._send(launch.attempt, launch.timeout_s)
        with self._cond:
            record = self._queues.get(launch.queue_name)
            if record is not None and counted:
                record.running = max(0, record.running - 1)
            task_record = record.tasks.get(launch.task_name) if record is not None else None
            if record is not None and task_record is not None:
                self._record_outcome(record, task_record, outcome)
            self._cond.notify_all()

    def _record_outcome(self, record: QueueRecord, task_record: TaskRecord, outcome: Outcome) -> None:
        now = self._now_s()
        task = task_record.task
        task_record.running = False
        if outcome.status:
            task.response_count += 1
            _set_ts(task.last_attempt.response_time, now)
            task.last_attempt.response_status.code = _rpc_code(outcome.status)
            task.last_attempt.response_status.message = f"HTTP status code {outcome.status}"
            task_record.previous_status = outcome.status
        else:
            task.last_attempt.response_status.code = _rpc_code(0)
            task.last_attempt.response_status.message = "No response from the task target"
        schedule = policy.retry_schedule_of(record.queue)
        if outcome.succeeded or schedule.gives_up(task.dispatch_count, task_record.first_attempt_s, now):
            self._forget_task(record, task.name, now)
            return
        _set_ts(task.schedule_time, now + schedule.delay_after(task.dispatch_count))
        self._record_task(task_record)

    # ------------------------------------------------------------------ internals
    def _bucket_for(self, queue: Any, now: float) -> policy.TokenBucket:
        limits = queue.rate_limits
        return policy.TokenBucket(limits.max_dispatches_per_second, limits.max_burst_size, now)

    def _forget_task(self, record: QueueRecord, task_name: str, now: float) -> None:
        record.tasks.pop(task_name, None)
        until = now + self._task_name_reuse_s
        self._task_tombstones[task_name] = until
        self._record({"op": "task_del", "name": task_name, "until": until})

    # ------------------------------------------------------------------ persistence
    def _record(self, entry: dict[str, Any]) -> None:
        if self._journal is None:
            return
        self._journal.append(entry)
        if self._journal.wants_compaction:
            self._journal.compact(self._state_records())

    def _record_queue(self, queue: Any) -> None:
        self._record({"op": "queue", "pb": encode_pb(queue)})

    def _record_task(self, task_record: TaskRecord) -> None:
        self._record(_task_entry(task_record))

    def _state_records(self) -> Iterator[dict[str, Any]]:
        now = self._now_s()
        for name, until in self._queue_tombstones.items():
            if until > now:
                yield {"op": "queue_del", "name": name, "until": until}
        for name, until in self._task_tombstones.items():
            if until > now:
                yield {"op": "task_del", "name": name, "until": until}
        for record in self._queues.values():
            yield {"op": "queue", "pb": encode_pb(record.queue)}
            for task_record in sorted(record.tasks.values(), key=lambda t: t.seq):
                yield _task_entry(task_record)

    def _restore(self, entries: Iterable[dict[str, Any]]) -> None:
        """Rebuild state from journal records; replaying a record twice changes nothing."""
        now = self._now_s()
        for entry in entries:
            op = entry.get("op")
            if op == "queue":
                queue = decode_pb(queue_types.Queue.pb(), entry["pb"])
                existing = self._queues.get(queue.name)
                if existing is None:
                    self._queues[queue.name] = QueueRecord(queue, self._bucket_for(queue, now))
                else:
                    existing.queue = queue
                    existing.bucket = self._bucket_for(queue, now)
                self._queue_tombstones.pop(queue.name, None)
            elif op == "queue_del":
                self._queues.pop(entry["name"], None)
                self._queue_tombstones[entry["name"]] = float(entry["until"])
            elif op == "task":
                task = decode_pb(task_types.Task.pb(), entry["pb"])
                queue_record = self._queues.get(names.queue_of_task(task.name))
                if queue_record is not None:
                    queue_record.tasks[task.name] = TaskRecord(
                        task,
                        next(self._seq),
                        first_attempt_s=entry.get("first"),
                        previous_status=entry.get("prev"),
                    )
            elif op == "task_del":
                queue_record = self._queues.get(names.queue_of_task(entry["name"]))
                if queue_record is not None:
                    queue_record.tasks.pop(entry["name"], None)
                self._task_tombstones[entry["name"]] = float(entry["until"])

    @staticmethod
    def _reserved(tombstones: dict[str, float], name: str, now: float) -> bool:
        until = tombstones.get(name)
        if until is None:
            return False
        if until <= now:
            del tombstones[name]
            return False
        return True

    def _queue(self, name: str) -> QueueRecord:
        record = self._queues.get(name)
        if record is None:
            if self._reserved(self._queue_tombstones, name, self._now_s()):
                raise names.queue_recently_deleted()
            raise names.entity_not_found()
        return record

    def _task(self, name: str) -> TaskRecord:
        queue_name = names.queue_of_task(name)
        record = self._queue(queue_name)
        task_record = record.tasks.get(name)
        if task_record is None:
            if self._reserved(self._task_tombstones, name, self._now_s()):
                raise names.task_recently_existed()
            raise names.entity_not_found()
        return task_record

    @staticmethod
    def _copy(message: Any) -> Any:
        duplicate = type(message)()
        duplicate.CopyFrom(message)
        return duplicate

    @staticmethod
    def _validate_new_task(task: Any) -> None:
        if task.HasField("app_engine_http_request"):
            raise invalid_argument(
                "App Engine tasks are not supported by the localcloud emulator; use http_request."
            )
        if not task.HasField("http_request"):
            raise invalid_argument("Task.http_request must be set.")
        request = task.http_request
        url = urlparse(request.url)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise invalid_argument(
                f"HttpRequest.url must be an absolute http or https URL, got '{request.url}'."
            )
        method = request.http_method or int(target.HttpMethod.POST)
        if request.body and method not in BODY_METHODS:
            raise invalid_argument("HttpRequest.body can only be set for POST, PUT and PATCH requests.")
        if task.HasField("dispatch_deadline"):
            deadline = _duration_s(task.dispatch_deadline)
            if not MIN_DISPATCH_DEADLINE_S <= deadline <= MAX_DISPATCH_DEADLINE_S:
                raise invalid_argument("Task.dispatch_deadline must be between 15 seconds and 30 minutes.")
        if task.ByteSize() > MAX_TASK_BYTES:
            raise invalid_argument("Task size exceeds the maximum of 1 MB.")


def _task_entry(task_record: TaskRecord) -> dict[str, Any]:
    return {
        "op": "task",
        "pb": encode_pb(task_record.task),
        "first": task_record.first_attempt_s,
        "prev": task_record.previous_status,
    }


def _render(task: Any, view: int) -> Any:
    rendered = task_types.Task.pb()()
    rendered.CopyFrom(task)
    chosen = view or int(task_types.Task.View.BASIC)
    rendered.view = chosen
    if chosen == int(task_types.Task.View.BASIC):
        # BASIC omits payloads, which may be large or sensitive.
        rendered.http_request.ClearField("body")
    return rendered


def _apply_mask_path(stored: Any, update: Any, path: str) -> None:
    parts = path.split(".")
    allowed_roots = {"rate_limits", "retry_config", "stackdriver_logging_config", "http_target"}
    if parts[0] not in allowed_roots:
        raise invalid_argument(f"Invalid update_mask path: '{path}'.")
    destination, source = stored, update
    for part in parts[:-1]:
        destination, source = getattr(destination, part), getattr(source, part)
    leaf = parts[-1]
    field_descriptor = destination.DESCRIPTOR.fields_by_name.get(leaf)
    if field_descriptor is None:
        raise invalid_argument(f"Invalid update_mask path: '{path}'.")
    if field_descriptor.message_type is not None:
        destination.ClearField(leaf)
        if source.HasField(leaf):
            getattr(destination, leaf).CopyFrom(getattr(source, leaf))
    else:
        setattr(destination, leaf, getattr(source, leaf))


def _parse_state_filter(text: str) -> int | None:
    if not text.strip():
        return None
    match = re.fullmatch(r"\s*state\s*[:=]\s*(RUNNING|PAUSED|DISABLED)\s*", text)
    if match is None:
        raise invalid_argument(
            f"Unsupported filter: '{text}'. Only 'state: RUNNING|PAUSED|DISABLED' is supported."
        )
    return int(getattr(queue_types.Queue.State, match.group(1)))


def _page(found: list[str], page_size: int, token: str, *, sort: bool = True) -> tuple[list[str], str]:
    start = 0
    if token:
        if not token.isdigit():
            raise invalid_argument("Invalid page_token.")
        start = int(token)
    size = page_size if 0 < page_size <= 1000 else 1000
    chunk = found[start : start + size]
    more = start + size < len(found)
    return chunk, str(start + size) if more else ""
