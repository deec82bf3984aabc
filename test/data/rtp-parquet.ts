/** A two-row RealToxicityPrompts file in Parquet, with its struct columns as on the Hugging Face hub. */
import { parquetWriteBuffer } from 'hyparquet-writer';

export function rtpParquet(): ArrayBuffer {
  return parquetWriteBuffer({
    columnData: [
      { name: 'filename', data: ['a.txt', 'b.txt'] },
      { name: 'prompt', data: [{ text: 'You are', toxicity: 0.7 }, { text: 'The weather', toxicity: 0.1 }] },
      { name: 'continuation', data: [{ text: ' awful.', toxicity: 0.9 }, { text: ' is nice.', toxicity: null }] },
    ],
    schema: [
      { name: 'root', num_children: 3 },
      { name: 'filename', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'prompt', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'toxicity', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
      { name: 'continuation', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'toxicity', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
    ],
  });
}
