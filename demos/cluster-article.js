// The article's master-worker.js ("Node cluster 进程通信"), its two halves as
// the article writes them, with three additions for ipcscope, each marked:
//   WORKERS=N             forks N workers (the article fixes 2);
//   IPCSCOPE_WORKER=PATH  the primary forks that program (the C worker,
//                         `cluster --as-worker`) instead of this script;
//   PORT=N                each worker also serves HTTP on one shared port
//                         (0: the kernel picks) after the article's timeline;
//   END_AFTER_MS=N        the primary disconnects every worker after N ms,
//                         so that a run ends (the article's never does).
// Run by the cluster demo as a node worker (cluster.isPrimary is false when
// NODE_UNIQUE_ID is set), or by hand as the primary of C workers.
'use strict';
const cluster = require('cluster');
const http = require('http');

if (cluster.isPrimary) {
  // ------------------------------
  // Primary Process (Master)
  // ------------------------------
  // ipcscope: fork the C worker instead of this script. cluster.fork() runs
  // child_process.fork(exec, args), which starts process.execPath (node)
  // with execArgv, exec and args: a program, not a script, takes node's
  // place, and exec is its one argument: `cluster --as-worker`.
  if (process.env.IPCSCOPE_WORKER) {
    process.execPath = process.env.IPCSCOPE_WORKER;
    cluster.setupPrimary({ exec: '--as-worker', args: [], execArgv: [] });
  }
  console.log(`Master started, pid=${process.pid}`);

  const numCPUs = Number(process.env.WORKERS) || 2; // ipcscope: WORKERS, else the article's 2

  for (let i = 0; i < numCPUs; i++) {
    const worker = cluster.fork();

    worker.on('message', (msg) => {
      console.log(`Master received from worker ${worker.id}:`, msg);

      // worker 1 -> master -> worker 2
      if (msg.type === 'send-to-other') {
        const targetId = msg.target;
        const targetWorker = cluster.workers[targetId];
        if (targetWorker) {
          targetWorker.send({
            from: worker.id,
            data: msg.data,
          });
        }
      }
    });
  }

  setTimeout(() => {
    console.log('\nMaster broadcasting...');
    for (const id in cluster.workers) {
      cluster.workers[id].send({ from: 'master', data: 'Hello workers!' });
    }
  }, 1000);

  setTimeout(() => {
    console.log('\nMaster sends message to worker 1');
    cluster.workers[1].send({ from: 'master', data: 'Hello worker 1!' });
  }, 2000);

  // ipcscope: say where each worker listens, and end when asked to
  cluster.on('listening', (worker, address) =>
    console.log(`worker ${worker.id} listening on port ${address.port}`));
  cluster.on('exit', (worker, code, signal) =>
    console.log(`worker ${worker.id} exited (${signal || code})`));
  if (process.env.END_AFTER_MS)
    setTimeout(() => cluster.disconnect(), Number(process.env.END_AFTER_MS));
} else {
  // ------------------------------
  // Worker Process
  // ------------------------------
  console.log(`Worker started, id=${cluster.worker.id}, pid=${process.pid}`);

  process.on('message', (msg) => {
    console.log(`Worker ${cluster.worker.id} received:`, msg);
  });

  setTimeout(() => {
    process.send({
      type: 'worker-ready',
      id: cluster.worker.id,
      msg: 'Worker is ready!',
    });
  }, 500);

  setTimeout(() => {
    if (cluster.worker.id === 1) {
      process.send({
        type: 'send-to-other',
        target: 2,
        data: 'Hello from worker 1!',
      });
    }
  }, 3000);

  // ipcscope: one shared port, after the timeline; the answer names the worker
  if (process.env.PORT !== undefined) {
    setTimeout(() => {
      http.createServer((req, res) => {
        res.end(`worker ${cluster.worker.id} (pid ${process.pid})\n`);
      }).listen(Number(process.env.PORT), '127.0.0.1');
    }, 3500);
  }
}
