// A child as the articles' sub.js is (003): it prints what it gets and
// speaks first, unprompted, but answers nothing the fork-ipc demo asks.
process.on('message', (m) => console.error('CHILD got message:', m));
process.send({ foo: 'bar' });
