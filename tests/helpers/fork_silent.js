// A child that never answers and never leaves by itself: it listens on the
// channel and keeps a timer, so only its parent can end it.
process.on('message', () => {});
process.on('disconnect', () => {});
setInterval(() => {}, 1000);
