-- Argo CD health of a CollabSession (collab.dev/v1alpha1), from its status conditions and phase.
-- Install: argocd-cm, key resource.customizations.health.collab.dev_CollabSession (DEPLOYMENT.md).
local hs = { status = "Progressing", message = "Waiting for the operator" }
if obj.status == nil then
  return hs
end
local s = obj.status
if s.observedGeneration ~= nil and obj.metadata.generation ~= nil
    and s.observedGeneration < obj.metadata.generation then
  hs.message = "Waiting for the operator to observe generation " .. obj.metadata.generation
  return hs
end

local conditions = {}
if s.conditions ~= nil then
  for _, c in ipairs(s.conditions) do
    conditions[c.type] = c
  end
end
local function describe(c)
  local text = c.type .. "=" .. (c.status or "?")
  if c.reason ~= nil and c.reason ~= "" then
    text = text .. " (" .. c.reason .. ")"
  end
  if c.message ~= nil and c.message ~= "" then
    text = text .. ": " .. c.message
  end
  return text
end

-- Reasons that need a person (fix the spec, the Secret or the image); the others resolve themselves.
local needsAction = {
  SecretNotFound = true, NoKnownCredentialKeys = true, InvalidIdleTimeout = true, ForbiddenEnv = true,
  ImagePullBackOff = true, ErrImagePull = true, CrashLoopBackOff = true, InitContainerFailed = true,
  StartTimeout = true, SecretOwnerMismatch = true,
}
for _, c in pairs(conditions) do
  if c.status == "False" and c.reason ~= nil and needsAction[c.reason] then
    hs.status = "Degraded"
    hs.message = describe(c)
    return hs
  end
end
if s.phase == "Failed" then
  hs.status = "Degraded"
  hs.message = s.message or "Failed"
  return hs
end

if s.phase == "Stopped" then
  if obj.spec ~= nil and obj.spec.suspend == true then
    hs.status = "Suspended"
    hs.message = "Suspended (spec.suspend)"
  else
    -- Stopped for inactivity or capacity: the desired state; the next request wakes it.
    hs.status = "Healthy"
    hs.message = "Stopped (" .. (s.stoppedReason or "unknown") .. "), wakes on the next request"
  end
  return hs
end

local ready = conditions["Ready"]
if s.phase == "Running" and ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = "Running"
  return hs
end
if ready ~= nil then
  hs.message = describe(ready)
elseif s.phase ~= nil then
  hs.message = s.phase
end
return hs
