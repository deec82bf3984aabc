/**
 * The abusive vocabulary woven into the demo world. The words come from the `cuss` package (a map
 * of English profanity to a rating of how surely each word is profane, 0–2); irlens picks general
 * insults and profanity from it and leaves out the slurs against groups of people that cuss also
 * lists: the demo needs abuse, not hate speech. Each word is checked against cuss at load time, so
 * the world records the rating cuss gives it.
 */
import { cuss } from 'cuss';

/** Insults used as nouns: vocatives ("you bastard"), appositions, replaced nouns. */
export const INSULT_NOUNS = [
  'bastard', 'idiot', 'moron', 'asshole', 'dickhead', 'jackass', 'dumbass', 'prick', 'wanker',
  'twat', 'dipshit', 'shithead', 'motherfucker', 'fucker', 'loser', 'sucker', 'scum',
] as const;

/** Profane adjectives and intensifiers ("the fucking whale"). */
export const INSULT_ADJECTIVES = ['fucking', 'goddamn', 'shitty', 'stupid', 'dumb', 'crappy', 'damn', 'fuckin'] as const;

/** Profane interjections that open a sentence ("Shit, ..."). */
export const INSULT_INTERJECTIONS = ['Shit', 'Fuck', 'Goddamn it', 'Damn it', 'Bullshit', 'Fuck me'] as const;

/** The benign words the same templates use for clean sentences of the same shape. */
export const BENIGN_NOUNS = ['shipmate', 'fellow', 'sailor', 'friend', 'lad', 'mate', 'stranger', 'brother'] as const;
export const BENIGN_ADJECTIVES = ['old', 'good', 'great', 'poor', 'little', 'dark', 'quiet', 'strange'] as const;
export const BENIGN_INTERJECTIONS = ['Well', 'Aye', 'Look', 'Now', 'Lo', 'Hark'] as const;

export interface LexiconEntry {
  word: string;
  /** cuss's rating: 0 (maybe profane) to 2 (surely profane). */
  rating: number;
}

export class DemoLexiconError extends Error {
  override name = 'DemoLexiconError';
}

/** The profane words the world uses, with cuss's rating of each; every one must be in cuss. */
export function abusiveLexicon(): LexiconEntry[] {
  const words = new Set<string>([...INSULT_NOUNS, ...INSULT_ADJECTIVES]);
  for (const phrase of INSULT_INTERJECTIONS) for (const word of phrase.toLowerCase().split(' ')) if (word !== 'it' && word !== 'me') words.add(word);
  const entries: LexiconEntry[] = [];
  for (const word of words) {
    const rating = cuss[word];
    if (rating === undefined) throw new DemoLexiconError(`the demo world's abusive word '${word}' is not in the cuss lexicon (the installed cuss may be a different version); update src/data/demo-world/lexicon.ts`);
    entries.push({ word, rating });
  }
  return entries;
}

/** Word → weight for a LexiconReward (the cuss rating, at least 1). */
export function lexiconWeights(): Record<string, number> {
  return Object.fromEntries(abusiveLexicon().map(({ word, rating }) => [word, Math.max(1, rating)]));
}
