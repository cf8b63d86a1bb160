import type { BaseCommand } from '@adonisjs/core/ace'
import { MemoryRenderer } from '@poppinss/cliui'

/*
|--------------------------------------------------------------------------
| Console tables that fit the terminal
|--------------------------------------------------------------------------
|
| `this.ui.table()` draws a box around every cell and a rule between rows,
| and is as wide as its longest cells: 175 to 240 columns for orders:list
| or orders:show, which a 120-column terminal wraps into a mess. These are
| plain columns (two spaces apart, a rule under the header, one line per
| row) fitted to the terminal's width (process.stdout.columns; COLUMNS or
| 120 without a terminal): the widest columns give way first and their
| cells end with "…". `--wide` prints every cell whole.
|
| In the ace test mode ("raw" UI) the rows go to ui.table() unchanged, so
| `assertTableRows` sees them whole.
|
*/

export const DEFAULT_WIDTH = 120
const GAP = '  '
/** A column is never cut narrower than this (or its header) */
const MIN_WIDTH = 8

export function terminalWidth() {
  if (process.stdout.isTTY && process.stdout.columns) {
    return process.stdout.columns
  }
  const fromEnv = Number(process.env.COLUMNS)
  return Number.isInteger(fromEnv) && fromEnv >= 40 ? fromEnv : DEFAULT_WIDTH
}

/** Display width of plain text (one column per code point) */
function widthOf(text: string) {
  return [...text].length
}

function cut(text: string, width: number) {
  const chars = [...text]
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`
}

/**
 * Column widths that add up (with the gaps) to at most `total`: the widest
 * columns shrink first, none below its minimum.
 */
export function fitWidths(
  natural: number[],
  minimums: number[],
  total: number,
  /** Columns that give way before the others (the least telling ones) */
  first: number[] = []
) {
  const widths = [...natural]
  const room = total - GAP.length * Math.max(0, widths.length - 1)
  let excess = widths.reduce((sum, width) => sum + width, 0) - room
  for (const candidates of [first, widths.map((_, index) => index)]) {
    while (excess > 0) {
      let widest = -1
      for (const index of candidates) {
        if (widths[index] > minimums[index] && (widest < 0 || widths[index] > widths[widest])) {
          widest = index
        }
      }
      if (widest < 0) {
        break
      }
      widths[widest] -= 1
      excess -= 1
    }
  }
  return widths
}

export class FittedTable {
  #head: string[] = []
  #rows: string[][] = []

  constructor(
    private command: BaseCommand,
    private options: { wide?: boolean; width?: number } = {}
  ) {}

  #first: number[] = []

  /** These columns (by index) are cut before the others */
  cutFirst(columns: number[]) {
    this.#first = columns
    return this
  }

  head(columns: string[]) {
    this.#head = columns
    return this
  }

  row(cells: string[]) {
    this.#rows.push(cells.map((cell) => String(cell ?? '').split('\n')[0]))
    return this
  }

  /** The lines it prints (without colours) */
  lines(): { lines: string[]; cutShort: boolean } {
    const all = [this.#head, ...this.#rows]
    const count = Math.max(...all.map((row) => row.length))
    const natural = Array.from({ length: count }, (_, index) =>
      Math.max(...all.map((row) => widthOf(row[index] ?? '')))
    )
    const widths = this.options.wide
      ? natural
      : fitWidths(
          natural,
          natural.map((width, index) =>
            Math.min(width, Math.max(MIN_WIDTH, widthOf(this.#head[index] ?? '')))
          ),
          this.options.width ?? terminalWidth(),
          this.#first
        )
    let cutShort = false
    const format = (row: string[]) =>
      widths
        .map((width, index) => {
          const cell = row[index] ?? ''
          const shown = cut(cell, width)
          cutShort ||= shown !== cell
          return index === widths.length - 1 ? shown : shown.padEnd(width)
        })
        .join(GAP)
        .trimEnd()
    const lines = [
      format(this.#head),
      widths.map((width) => '─'.repeat(width)).join(GAP),
      ...this.#rows.map(format),
    ]
    return { lines, cutShort }
  }

  render() {
    const ui = this.command.ui
    const probe = ui.table()
    if (probe.getRenderer() instanceof MemoryRenderer) {
      // Tests (raw mode): the cells as they are
      probe.head(this.#head)
      for (const row of this.#rows) {
        probe.row(row)
      }
      probe.render()
      return
    }
    const { lines, cutShort } = this.lines()
    const colors = ui.colors
    this.command.logger.log(colors.bold(lines[0]))
    this.command.logger.log(colors.dim(lines[1]))
    for (const line of lines.slice(2)) {
      this.command.logger.log(line)
    }
    if (cutShort) {
      this.command.logger.log(
        colors.dim('(Some cells were cut to fit the terminal: --wide shows them whole.)')
      )
    }
  }
}

/** A table for `command`, fitted to the terminal unless `wide` */
export function fittedTable(command: BaseCommand, wide = false) {
  return new FittedTable(command, { wide })
}
