"""What can go wrong with a submission, as exceptions whose text a student can act on.

They subclass AssertionError so that a graded test that meets one simply fails (under
our runner, unittest or pytest alike) with the message, not with a traceback of ours.
"""
import signal


class SubmissionError(AssertionError):
    """Base class: the submission, not the grader, caused this test to fail."""


class MissingFile(SubmissionError):
    pass


class StudentTimeout(SubmissionError):
    pass


class BudgetExhausted(SubmissionError):
    pass


class UnreadableReply(SubmissionError):
    pass


class StudentException(SubmissionError):
    """Student code raised. Keeps the exception type and the student's own frames."""

    def __init__(self, what, type_, message, traceback, function=None):
        self.what, self.type, self.message, self.traceback = what, type_, message, traceback
        self.function = function  # the innermost function of the submission that ran
        if type_ == "NotImplementedError":
            text = f"{function + '()' if function else what} is not implemented yet (it raises NotImplementedError)"
        elif type_ == "SystemExit":
            text = f"{what}: your code {message}; the grader cannot check anything after that"
        elif type_ == "MemoryError":
            text = f"{what} ran out of memory (MemoryError): it uses more than the memory limit"
        else:
            text = f"{what} raised {type_}: {message}"
        if "File \"" in traceback and type_ != "NotImplementedError":
            text += "\n" + traceback.rstrip()
        super().__init__(text)


class StudentCrashed(SubmissionError):
    """The worker process died during a call: os._exit, a signal, a memory or CPU limit."""

    def __init__(self, what, returncode, output="", memory_mb=None, over_mb=None, pipe_closed=False):
        # memory_mb: the worker's memory limit; over_mb: what it held when the grader
        # stopped it for going over (sandbox/memory.py), None when it did not;
        # pipe_closed: the worker still ran when its reply pipe closed (the grader then
        # stopped it: its SIGKILL says nothing about memory)
        self.returncode = returncode
        self.pipe_closed = pipe_closed
        limit = f" of {memory_mb:g} MB" if memory_mb else ""
        if over_mb is not None:
            text = (f"{what}: the process running your code used {over_mb:.0f} MB of memory, over "
                    f"the memory limit{limit}, and was stopped")
        elif pipe_closed:
            text = (f"{what}: the process running your code closed the pipe it answers the grader on, "
                    "while it was still running (does your code close file descriptors, e.g. "
                    "os.close or os.closerange, or replace sys.stdin/stdout at the OS level?); "
                    "the grader stopped it")
        elif returncode is not None and returncode < 0:
            sig = -returncode
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            killed = (f"it was killed, most often because it used more than the {memory_mb:g} MB memory limit"
                      if memory_mb else "it was killed (most often: over the memory limit)")
            reason = {"SIGXCPU": "it used up its CPU-time limit",
                      "SIGKILL": killed,
                      "SIGSEGV": "it crashed (segmentation fault)",
                      "SIGXFSZ": "it wrote a file over the size limit"}.get(name, f"it got signal {name}")
            text = f"{what}: the process running your code stopped: {reason}"
        else:
            text = (f"{what}: the process running your code exited (status {returncode}); "
                    "does your code call os._exit() or exit the interpreter?")
        tail = output.strip()[-1500:]
        if tail:
            text += "\nIts last output:\n" + tail
        super().__init__(text)
