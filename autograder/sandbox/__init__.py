"""Running untrusted student code: worker process, codec, limits and privileges."""
from .errors import (BudgetExhausted, MissingFile, StudentCrashed, StudentException,
                     StudentTimeout, SubmissionError, UnreadableReply)
from .process import Budget, Limits, Sandbox
