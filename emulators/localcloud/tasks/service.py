"""gRPC adapter: google.cloud.tasks.v2.CloudTasks over the task queues."""

from __future__ import annotations

from typing import Any

import grpc
from google.cloud.tasks_v2.types import cloudtasks as ct
from google.cloud.tasks_v2.types import queue as queue_types
from google.cloud.tasks_v2.types import task as task_types
from google.protobuf import empty_pb2

from localcloud.pubsub.rpc import unary
from localcloud.tasks.scheduler import PAUSED, RUNNING, TaskQueues

EMPTY = empty_pb2.Empty


def _pb(proto_plus_type: Any) -> Any:
    return proto_plus_type.pb()


class CloudTasksService:
    def __init__(self, queues: TaskQueues) -> None:
        self.queues = queues

    def list_queues(self, request: Any, _context: grpc.ServicerContext) -> Any:
        found, token = self.queues.list_queues(
            request.parent, request.filter, request.page_size, request.page_token
        )
        return _pb(ct.ListQueuesResponse)(queues=found, next_page_token=token)

    def get_queue(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.queues.get_queue(request.name)

    def create_queue(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.queues.create_queue(request.parent, request.queue)

    def update_queue(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.queues.update_queue(request.queue, list(request.update_mask.paths))

    def delete_queue(self, request: Any, _context: grpc.ServicerContext) -> Any:
        self.queues.delete_queue(request.name)
        return EMPTY()

    def purge_queue(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.queues.purge_queue(request.name)

    def pause_queue(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.queues.set_state(request.name, PAUSED)

    def resume_queue(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.queues.set_state(request.name, RUNNING)

    def list_tasks(self, request: Any, _context: grpc.ServicerContext) -> Any:
        found, token = self.queues.list_tasks(
            request.parent, request.response_view, request.page_size, request.page_token
        )
        return _pb(ct.ListTasksResponse)(tasks=found, next_page_token=token)

    def get_task(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.queues.get_task(request.name, request.response_view)

    def create_task(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.queues.create_task(request.parent, request.task, request.response_view)

    def delete_task(self, request: Any, _context: grpc.ServicerContext) -> Any:
        self.queues.delete_task(request.name)
        return EMPTY()

    def run_task(self, request: Any, _context: grpc.ServicerContext) -> Any:
        return self.queues.run_task(request.name, request.response_view)

    def handlers(self) -> list[grpc.GenericRpcHandler]:
        queue_pb = _pb(queue_types.Queue)
        task_pb = _pb(task_types.Task)
        methods = {
            "ListQueues": unary(self.list_queues, _pb(ct.ListQueuesRequest), _pb(ct.ListQueuesResponse)),
            "GetQueue": unary(self.get_queue, _pb(ct.GetQueueRequest), queue_pb),
            "CreateQueue": unary(self.create_queue, _pb(ct.CreateQueueRequest), queue_pb),
            "UpdateQueue": unary(self.update_queue, _pb(ct.UpdateQueueRequest), queue_pb),
            "DeleteQueue": unary(self.delete_queue, _pb(ct.DeleteQueueRequest), EMPTY),
            "PurgeQueue": unary(self.purge_queue, _pb(ct.PurgeQueueRequest), queue_pb),
            "PauseQueue": unary(self.pause_queue, _pb(ct.PauseQueueRequest), queue_pb),
            "ResumeQueue": unary(self.resume_queue, _pb(ct.ResumeQueueRequest), queue_pb),
            "ListTasks": unary(self.list_tasks, _pb(ct.ListTasksRequest), _pb(ct.ListTasksResponse)),
            "GetTask": unary(self.get_task, _pb(ct.GetTaskRequest), task_pb),
            "CreateTask": unary(self.create_task, _pb(ct.CreateTaskRequest), task_pb),
            "DeleteTask": unary(self.delete_task, _pb(ct.DeleteTaskRequest), EMPTY),
            "RunTask": unary(self.run_task, _pb(ct.RunTaskRequest), task_pb),
        }
        return [grpc.method_handlers_generic_handler("google.cloud.tasks.v2.CloudTasks", methods)]
