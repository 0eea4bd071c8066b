/** An instruction-tuning example in Alpaca form (the shape every built-in data set is mapped to). */
export interface InstructionRecord {
  instruction: string;
  /** Extra context; empty string when there is none. */
  input: string;
  output: string;
  /** Label used by the meta and Dirichlet splitters (e.g. Dolly's category). */
  category?: string;
}
