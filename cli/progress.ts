/** A progress bar on stderr, only when stderr is a terminal and the job has run for over a second. */
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };

/** `total` may be unknown (0): the bar then shows a count. */
export function progress(label: string, total: number, quiet: boolean): Progress {
  if (quiet || !process.stderr.isTTY) return SILENT;
  const started = Date.now();
  let bar: cliProgress.SingleBar | undefined;
  return {
    update(done) {
      if (bar === undefined) {
        if (Date.now() - started < 1000) return;
        bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: total > 0 ? `${label} [{bar}] {percentage}% {value}/{total} ops` : `${label} {value} ops`,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total || 1, done);
      }
      bar.update(done);
    },
    stop() {
      bar?.stop();
    },
  };
}
