"""Run one asyncio bench child on uvloop: install uvloop's event loop policy, then run the
child script as __main__ with the remaining arguments (so asyncio_w*.py stay unchanged and
asyncio.run / asyncio.new_event_loop make uvloop loops).

    python3 bench/uvloop_run.py bench/asyncio_w1.py chained 1000000

Without uvloop installed it prints {"skipped": reason} (run.mjs installs it first:
`python3 -m pip install uvloop==0.23.0`, from this machine's local wheel index).
"""
import asyncio
import json
import os
import runpy
import sys

try:
    import uvloop
except ImportError as exc:
    reason = f'uvloop is not importable ({exc}); install it with `{sys.executable} -m pip install uvloop==0.23.0`'
    sys.stderr.write(f'skipped: {reason}\n')
    sys.stdout.write(json.dumps({'skipped': reason}) + '\n')
    sys.exit(0)

asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
script = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
runpy.run_path(script, run_name='__main__')
