// Each kernel family registers its N-API functions on the addon's exports.
#pragma once
#include <napi.h>

namespace irlens {
void RegisterThreadPool(Napi::Env env, Napi::Object exports);
void RegisterStorage(Napi::Env env, Napi::Object exports);
void RegisterGemm(Napi::Env env, Napi::Object exports);
void RegisterElementwise(Napi::Env env, Napi::Object exports);
void RegisterNorms(Napi::Env env, Napi::Object exports);
void RegisterSoftmax(Napi::Env env, Napi::Object exports);
void RegisterAttention(Napi::Env env, Napi::Object exports);
void RegisterEmbedding(Napi::Env env, Napi::Object exports);
void RegisterCrossEntropy(Napi::Env env, Napi::Object exports);
void RegisterCategorical(Napi::Env env, Napi::Object exports);
void RegisterTokenChoice(Napi::Env env, Napi::Object exports);
void RegisterOptimizer(Napi::Env env, Napi::Object exports);
void RegisterRandom(Napi::Env env, Napi::Object exports);
}  // namespace irlens
