"""The functions host keeps what the functions print, line by line, as Cloud Logging receives it."""

import io
import threading

from localcloud.functions.logs import CapturedStream, LogBuffer, set_current_function


def test_each_complete_line_is_kept_with_its_stream_and_function_and_still_written_through() -> None:
    target, buffer = io.StringIO(), LogBuffer()
    stream = CapturedStream(target, buffer, "stdout")
    set_current_function("internal")
    try:
        stream.write('{"event": "decision_made"')
        stream.write('}\nplain text\n\n')
    finally:
        set_current_function(None)
    stream.write("after\n")
    assert target.getvalue() == '{"event": "decision_made"}\nplain text\n\nafter\n'
    page = buffer.since(0)
    assert [(e["seq"], e["stream"], e["function"], e["text"]) for e in page["entries"]] == [
        (1, "stdout", "internal", '{"event": "decision_made"}'), (2, "stdout", "internal", "plain text"),
        (3, "stdout", None, "after")]
    assert page["next"] == 3 and page["dropped"] == 0
    assert buffer.since(3) == {"entries": [], "next": 3, "dropped": 0}


def test_concurrent_writers_never_splice_their_lines() -> None:
    buffer = LogBuffer()
    stream = CapturedStream(io.StringIO(), buffer, "stdout")

    def chatter(name: str) -> None:
        for i in range(200):
            stream.write(f"{name}-")
            stream.write(f"{i}\n")

    threads = [threading.Thread(target=chatter, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    texts = [e["text"] for e in buffer.since(0)["entries"]]
    assert sorted(texts) == sorted([f"{n}-{i}" for n in ("a", "b") for i in range(200)])


def test_a_full_buffer_drops_the_oldest_lines_and_says_how_many_a_reader_missed() -> None:
    buffer = LogBuffer(capacity=3)
    for i in range(5):
        buffer.append("stderr", f"line {i}")
    page = buffer.since(0)
    assert [e["text"] for e in page["entries"]] == ["line 2", "line 3", "line 4"]
    assert page["dropped"] == 2
    assert buffer.since(3)["dropped"] == 0
