// stdio-pipe-child.js: the stdio-array child of stdio-pipe, as node itself.
//
// stdio-pipe --child node starts it with stdio ['pipe', 'pipe', 'pipe', 'ipc']:
// fds 0, 1 and 2 are pipes from and to the parent, fd 3 is a socket that node
// opens as the IPC channel because NODE_CHANNEL_FD=3 says so. It does what the
// C child (stdio-pipe --as-child stdio) does, line for line:
//   - counts the bytes that arrive on stdin;
//   - answers {hello: 'world'} with {received: true} on the channel;
//   - at the end of stdin, writes one line on stdout, one on stderr, and
//     sends {type: 'done', bytes} on the channel;
//   - then disconnects, and node exits 0 with nothing left to do.
'use strict';

let bytes = 0;
let ended = false;
let answered = false;

function maybeEnd() {
  if (ended && answered) process.disconnect();
}

process.stdin.on('data', (chunk) => { bytes += chunk.length; });
process.stdin.on('end', () => {
  process.stdout.write(`child: ${bytes} bytes arrived on stdin (fd 0)\n`);
  process.stderr.write('child: this line went to stderr (fd 2)\n');
  process.send({ type: 'done', bytes });
  ended = true;
  maybeEnd();
});

process.on('message', (m) => {
  if (!m || m.hello === undefined) return;
  process.send({ received: true });
  answered = true;
  maybeEnd();
});
