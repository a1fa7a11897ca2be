/**
 * The engine behind {@link io.linuxaio.AioContext}, one concern per file; not exported. Every type's
 * first javadoc sentence says which thread runs it. The owner thread (a Netty loop, the completion
 * thread, or a {@link io.linuxaio.spi.ManualOwner}) is the only thread that touches slots, the batch,
 * the ring and the counters' values; other threads hand it {@link io.linuxaio.engine.Request}s.
 *
 * <h2>The life of a request</h2>
 * <pre>
 *  any thread    AioFile.readAsync ── RequestChecks ── FileHandle.tryAcquire ── Engine.submit
 *                                                                                 │ off the owner: a Request,
 *                                                                                 ▼ handed to AioOwner.execute
 *  owner         Engine.start ── no free slot? ── wait in line (oldest first) ◄───────────┐
 *                    │ SlotTable.take, BufferKind.prepare, NowaitFallback.route           │
 *                    ▼                                                                    │
 *                Submitter.add ─► (after the owner's task) Submitter.flush: io_submit ─► kernel
 *                                                                                         │ io_event in the
 *                                                                                         ▼ ring, eventfd
 *  owner         Engine.runOwnerTurn ── Reaper.reap (data, res) ── Engine.onEvent (generation check)
 *                    │ EAGAIN/EOPNOTSUPP/short to an added RWF_NOWAIT?  ── NowaitFallback ─► BlockingPool
 *                    ▼                                                       (pool thread: preadv2/pwritev2,
 *                Completer.endRequest: copy back, free memory, free the slot ◄─── then back to the owner)
 *                    → give it to the oldest waiting Request → release the file → complete the future
 *                    → Lifecycle.terminateIfDone (closing and idle: io_destroy, release)
 * </pre>
 *
 * <h2>Who is who</h2>
 * {@link io.linuxaio.engine.Engine} (hand-off, start, the owner's turn), {@code Request} (made off the
 * owner, or waiting for a slot), {@code SlotTable} and {@code SlotState} (the slots, their generations and
 * {@code aio_data}), {@link io.linuxaio.engine.Op} (opcodes), {@link io.linuxaio.engine.BufferKind}
 * (prepare, copy back, advance), {@code Submitter} (batch and io_submit), {@code Reaper} (ring or
 * io_getevents), {@code NowaitFallback} (RWF_NOWAIT policy, per-file learning, the pool hand-off),
 * {@code Polls}, {@code Completer}, {@code Lifecycle} (close, abandon, release), {@code KernelContext}
 * (io_setup/io_destroy, eventfd, arena, ring, waker protocol), {@code Counters},
 * {@link io.linuxaio.engine.FileHandle} and {@link io.linuxaio.engine.FileOpener} (the descriptor and how
 * it is opened), {@code CompletionThread}, {@link io.linuxaio.engine.BlockingPool}, {@code RequestEvents}
 * and the JFR events it begins in {@code Engine.submit} (or {@code InlineReads}) and ends in
 * {@code Completer.endRequest} ({@code ReadEvent}, {@code WriteEvent}, {@code SyncEvent}, {@code PollEvent}).
 */
package io.linuxaio.engine;
