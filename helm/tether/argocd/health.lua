-- Argo CD health of a Tether resource: DisklessImage, NodeProfile, NodeCredential or DiscoveredNode (group tether.dev).
-- It reads status the way kstatus (Flux, kubectl wait) does, which is how the operator writes it:
--   a status computed for an older generation        -> Progressing (the operator has not seen the change)
--   Reconciling=True (a build running, edges starting) -> Progressing
--   Stalled=True (a failed build, a missing image)     -> Degraded: someone must change something
--   Ready=True                                         -> Healthy
-- The first of Reconciling/Stalled that is True wins, as in kstatus. Install: docs/gitops.md.
local hs = { status = "Progressing", message = "Waiting for the Tether operator to report status" }
if obj.status == nil then
  return hs
end
local generation = obj.metadata and obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and observed ~= nil and observed ~= generation then
  hs.message = "The Tether operator has not acted on generation " .. generation .. " yet (status is of " .. observed .. ")"
  return hs
end
local ready = nil
for _, condition in ipairs(obj.status.conditions or {}) do
  if condition.status == "True" and condition.type == "Reconciling" then
    hs.message = condition.message or condition.reason
    return hs
  end
  if condition.status == "True" and condition.type == "Stalled" then
    hs.status = "Degraded"
    hs.message = condition.message or condition.reason
    return hs
  end
  if condition.type == "Ready" then
    ready = condition
  end
end
if ready == nil then
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
else
  hs.status = "Degraded"
end
hs.message = ready.message or ready.reason
return hs
