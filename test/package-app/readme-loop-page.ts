// The README's loop (readme-loop.ts, copied from README.md by the test) runs on import; then the page says it ended.
import './readme-loop';

(globalThis as { readmeDone?: boolean }).readmeDone = true;
