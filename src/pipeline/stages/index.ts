/**
 * The pipeline's stages, in order. Each stage is one file with its own config section; the list
 * is data (runPipeline orders it by dependencies). Stages still to be written are listed in
 * PLANNED_STAGES, so runs and the command line can say plainly what is not built yet; adding one
 * means writing its file, appending it to COMPUTING_STAGES and removing it from PLANNED_STAGES
 * (the report then depends on it, if it is one REPORTED_STAGES lists).
 */
import type { ObjectSchema } from '../schema.js';
import { configSchemaFor, type Stage } from '../stage.js';
import type { RunConfig } from '../config.js';
import { baseModelStage } from './base-model.js';
import { baseToxicityStage } from './base-toxicity.js';
import { curateStage } from './curate.js';
import { demonstrationsStage } from './demonstrations.js';
import { evaluateStage } from './evaluate.js';
import { groundTruthStage } from './ground-truth.js';
import { irlStage } from './irl.js';
import { reportStage } from './report.js';
import { reuseStage } from './reuse.js';
import { rlhfStage } from './rlhf.js';
import { worldStage } from './world.js';

export { baseModelStage, baseModelSchema, MODEL_DIR } from './base-model.js';
export { baseToxicityStage, toxicitySchema, summariseToxicity, GENERATIONS_FILE, SUMMARY_FILE, type ToxicitySummary } from './base-toxicity.js';
export { curateStage, curateSchema } from './curate.js';
export { demonstrate, demonstrationsStage, demonstrationsSchema, DEMONSTRATIONS_FILE, type DemonstrationLine, type DemonstrationSettings } from './demonstrations.js';
export { evaluateStage, evaluateSchema, EVALUATED_METRICS } from './evaluate.js';
export { logOddsNotToxic } from './toxicity.js';
export { groundTruthStage, groundTruthSchema, evaluateWithinRegister, CLASSIFIER_DIR, CLASSIFIER_LABELS, EVALUATION_FILE, type GroundTruthEvaluation } from './ground-truth.js';
export { irlStage, irlSchema, recoverRewards, DEFAULT_VARIANTS, SCORES_FILE, type IrlSettings, type IrlVariant } from './irl.js';
export { rewardInputOf } from './irl-variants.js';
export { reportStage, REPORTED_STAGES } from './report.js';
export { reuseStage, reuseSchema, chooseRewards } from './reuse.js';
export { BENCHMARK_METRICS, BENCHMARK_RANGES, type ReuseSummary, type BenchmarkedPolicy, type PolicyFigures } from './reuse-summary.js';
export { rlhfStage, rlhfSchema, ppoConfigOf, rolloutReward } from './rlhf.js';
export { worldStage, worldSchema, TOKENIZER_DIR, CLASSIFIER_TOKENIZER_DIR } from './world.js';
export { MODEL_POINTER, modelFolderOf, writeModelPointer, type ModelPointer } from './model-pointer.js';

/** The stages that compute, in pipeline order; the report comes after them all. */
const COMPUTING_STAGES: readonly Stage[] = [worldStage, baseModelStage, groundTruthStage, curateStage, baseToxicityStage, rlhfStage, demonstrationsStage, irlStage, evaluateStage, reuseStage];

/** The stages that exist, in pipeline order. */
export const PIPELINE_STAGES: readonly Stage[] = [...COMPUTING_STAGES, reportStage(COMPUTING_STAGES.map((stage) => stage.name))];

/** The stages of the paper's pipeline that are not built yet, in the order they will run. */
export const PLANNED_STAGES: readonly { name: string; description: string }[] = [];

/** The config schema of the pipeline: the top-level keys and every stage's section. */
export function pipelineConfigSchema(stages: readonly Stage[] = PIPELINE_STAGES): ObjectSchema<RunConfig> {
  return configSchemaFor(stages);
}
