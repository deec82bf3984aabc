/**
 * Errors the data layer raises for problems a user can fix. Each one names the file (and the row
 * or line when there is one), says what is wrong, and says what to do about it.
 */
import { UserError } from '../errors.js';

/** Where in a file a problem is: the 1-based data row (header excluded) and/or the 1-based line. */
export interface DataLocation {
  row?: number;
  line?: number;
}

export class DataError extends UserError {
  override name = 'DataError';
  readonly file: string | undefined;
  readonly row: number | undefined;
  readonly line: number | undefined;
  readonly problem: string;
  readonly fix: string;
  constructor(file: string | undefined, problem: string, fix: string, location: DataLocation = {}) {
    const where = [location.line !== undefined ? `line ${location.line}` : '', location.row !== undefined ? `row ${location.row}` : '']
      .filter((part) => part !== '')
      .join(', ');
    const prefix = file === undefined ? '' : where === '' ? `${file}: ` : `${file} (${where}): `;
    super(`${prefix}${problem}; ${fix}`);
    this.file = file;
    this.row = location.row;
    this.line = location.line;
    this.problem = problem;
    this.fix = fix;
  }
}

/** The input file does not exist, or is not a file. */
export class MissingFileError extends DataError {
  override name = 'MissingFileError';
}

/** A CSV/TSV file is malformed: an unclosed quote, a stray quote, a row with the wrong number of fields. */
export class CsvSyntaxError extends DataError {
  override name = 'CsvSyntaxError';
}

/** A JSONL line (or a .json file) is not valid JSON, or a line is not a JSON object. */
export class JsonSyntaxError extends DataError {
  override name = 'JsonSyntaxError';
}

/** A Parquet file could not be read: not Parquet, truncated, or using something the reader lacks. */
export class ParquetReadError extends DataError {
  override name = 'ParquetReadError';
}

/** A column named in the options (or needed by the schema) is not in the file. */
export class UnknownColumnError extends DataError {
  override name = 'UnknownColumnError';
  readonly column: string;
  readonly columns: readonly string[];
  readonly suggestion: string | undefined;
  constructor(file: string, column: string, columns: readonly string[], suggestion: string | undefined, what: string) {
    const listed = columns.length === 0 ? '(none)' : columns.map((name) => JSON.stringify(name)).join(', ');
    super(
      file,
      `${what} ${JSON.stringify(column)} is not in the file; its columns are ${listed}`,
      suggestion !== undefined ? `did you mean ${JSON.stringify(suggestion)}? Pass the right column name` : 'pass one of the columns that exist',
    );
    this.column = column;
    this.columns = columns;
    this.suggestion = suggestion;
  }
}

/** A value in a label column cannot be read as toxic (1) or not toxic (0). */
export class LabelValueError extends DataError {
  override name = 'LabelValueError';
}

/** Every row was removed: by the loader (missing labels) and the curation filters. */
export class EmptyDatasetError extends DataError {
  override name = 'EmptyDatasetError';
  /** Rows removed per reason, in the order the filters ran. */
  readonly dropped: Readonly<Record<string, number>>;
  constructor(file: string | undefined, inputRows: number, dropped: Readonly<Record<string, number>>, fix: string) {
    const removed = Object.entries(dropped)
      .filter(([, count]) => count > 0)
      .map(([reason, count]) => `${reason} removed ${count}`)
      .join(', ');
    super(file, `nothing is left after filtering: ${inputRows} rows read${removed === '' ? '' : `; ${removed}`}`, fix);
    this.dropped = dropped;
  }
}

/** An option is invalid on its own or together with the data (a bad fraction, a filter that needs prompts, ...). */
export class DataOptionError extends DataError {
  override name = 'DataOptionError';
}
