// chanpeer.js: the node twin of tests/helpers/chanpeer.c (see its header for
// the steps). `node chanpeer.js child` is a child of a C or node parent;
// `node chanpeer.js parent CMD [ARG...]` forks CMD the way child_process.fork
// does (execPath set to CMD, no execArgv), so a C program can be the child.
'use strict';
const { fork } = require('child_process');
const net = require('net');

const zh = '你好，世界 \u2028 line\u2029sep "quoted" \\ \n end';
const big = Array.from({ length: 2 * 1024 * 1024 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');

function child() {
  process.on('message', (msg, handle) => {
    if (handle) {
      handle.once('connection', (sock) => {
        sock.end(`served by node child ${process.pid}\n`);
        handle.close();
        process.send({ served: true });
      });
      return;
    }
    process.send({ echo: msg });
  });
  process.on('disconnect', () => {
    console.error('node child: disconnect');
    process.exit(0);
  });
}

function parent(cmd, args) {
  const c = fork(args[0] || '', args.slice(1), { execPath: cmd, execArgv: [], stdio: 'inherit' });
  let step = 0;
  let failures = 0;
  const ok = (w) => console.log(`ok ${step} ${w}`);
  const fail = (w) => { console.log(`FAILED step ${step}: ${w}`); failures++; };
  const next = () => {
    step++;
    if (step === 1) c.send({ hello: 'world' });
    else if (step === 2) c.send({ text: zh });
    else if (step === 3) c.send({ big });
    else if (step === 4) {
      const server = net.createServer();
      server.listen(0, '127.0.0.1', () => {
        const port = server.address().port;
        c.send({ serve: true }, server, () => {
          server.close();
          const s = net.connect(port, '127.0.0.1');
          let line = '';
          s.on('data', (d) => { line += d; });
          s.on('end', () => {
            if (!line.startsWith('served by')) fail('socket');
            else console.log(`   client read: ${line.trim()}`);
          });
        });
      });
    } else if (step === 5) { step = 6; c.send({ after: 1 }); } else c.disconnect();
  };
  c.on('message', (m) => {
    if (step === 1) (m.echo && m.echo.hello === 'world') ? ok('hello echoed') : fail('hello');
    else if (step === 2) (m.echo && m.echo.text === zh) ? ok('Chinese and U+2028 intact') : fail('text');
    else if (step === 3) (m.echo && m.echo.big === big) ? ok('2 MiB message intact') : fail('big');
    else if (step === 4) m.served ? ok('passed socket served a TCP client') : fail('served');
    else if (step === 6) (m.echo && m.echo.after === 1) ? ok('message after that echoed') : fail('after');
    else fail('unexpected ' + JSON.stringify(m).slice(0, 80));
    next();
  });
  c.on('disconnect', () => console.log('   parent: disconnect'));
  c.on('exit', (code, sig) => {
    step = 8;
    code === 0 ? ok('child exited 0 after disconnect') : fail(`child exit ${code} ${sig}`);
    process.exit(failures ? 1 : 0);
  });
  next();
}

if (process.argv[2] === 'child') child();
else if (process.argv[2] === 'parent') parent(process.argv[3], process.argv.slice(4));
else { console.error('usage: chanpeer.js child | chanpeer.js parent CMD [ARG...]'); process.exit(2); }
