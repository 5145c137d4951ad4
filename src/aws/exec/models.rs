//! The calls of a REST API's models and request validators (issue 18 item 3), beside the
//! other REST ops (`rest.rs`).
//!
//! Lost answers: a create that got no answer is looked for by name before it is sent again
//! ([`create_or_find`]); a create refused because the name exists (409, as AWS answers a
//! duplicate) is this op's own earlier attempt when what exists is exactly what it asks
//! (done, the validator's id adopted), otherwise the conflict goes up and the apply plans
//! again from what is there. Deletes answered NotFound are done.

use super::rest::Executor;
use super::{deleted, internal, OpOutcome};
use crate::aws::error::{classify, AwsError, ErrorKind};
use crate::aws::read::rest::get_request_validators;
use crate::aws::recover::{create_or_find, Identity, Made};
use crate::plan::rest::models::{aws_schema, read_schema, MODEL_MARK};
use crate::plan::rest::ops::Op;

impl Executor<'_> {
    /// Apply one model or request validator op.
    pub(super) async fn apply_validation(&mut self, op: &Op) -> Result<OpOutcome, AwsError> {
        let name = op.aws_name();
        let gw = &self.clients.apigw;
        match op {
            Op::CreateModel {
                name: model,
                content_type,
                schema,
            } => {
                let api = self.api(name)?;
                let req = gw
                    .create_model()
                    .rest_api_id(&api)
                    .name(model)
                    .content_type(content_type)
                    .description(MODEL_MARK)
                    .schema(aws_schema(schema, &api));
                let identity = Identity::Model {
                    api: &api,
                    name: model,
                };
                let made = create_or_find(self.clients, identity, || {
                    let r = req.clone();
                    async move { r.send().await.map_err(|e| classify(name, e)) }
                })
                .await;
                match made {
                    Ok(Made::Created(_)) => Ok(OpOutcome::Applied),
                    Ok(Made::Adopted(id)) => Ok(OpOutcome::Adopted { id }),
                    Err(e) if e.kind == ErrorKind::Conflict => {
                        // The name exists: done when it is exactly this model.
                        let found = gw
                            .get_model()
                            .rest_api_id(&api)
                            .model_name(model)
                            .send()
                            .await
                            .map_err(|g| classify("GetModel", g))?;
                        let same = found.content_type() == Some(content_type.as_str())
                            && found.schema().map(read_schema).as_ref() == Some(schema);
                        if same {
                            Ok(OpOutcome::AlreadyPresent)
                        } else {
                            Err(e)
                        }
                    }
                    Err(e) => Err(e),
                }
            }
            Op::UpdateModel {
                name: model,
                schema,
            } => {
                let api = self.api(name)?;
                gw.update_model()
                    .rest_api_id(&api)
                    .model_name(model)
                    .patch_operations(
                        aws_sdk_apigateway::types::PatchOperation::builder()
                            .op(aws_sdk_apigateway::types::Op::Replace)
                            .path("/schema")
                            .value(aws_schema(schema, &api))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            Op::DeleteModel { name: model } => {
                let res = gw
                    .delete_model()
                    .rest_api_id(self.api(name)?)
                    .model_name(model)
                    .send()
                    .await;
                deleted(name, res)
            }
            Op::CreateRequestValidator {
                name: validator,
                body,
                parameters,
            } => {
                let api = self.api(name)?;
                let req = gw
                    .create_request_validator()
                    .rest_api_id(&api)
                    .name(validator)
                    .validate_request_body(*body)
                    .validate_request_parameters(*parameters);
                let identity = Identity::RequestValidator {
                    api: &api,
                    name: validator,
                };
                let made = create_or_find(self.clients, identity, || {
                    let r = req.clone();
                    async move { r.send().await.map_err(|e| classify(name, e)) }
                })
                .await;
                let (id, outcome) = match made {
                    Ok(Made::Created(out)) => {
                        let id = out
                            .id()
                            .ok_or_else(|| {
                                internal(name, "the answer carries no validator id".into())
                            })?
                            .to_string();
                        (id.clone(), OpOutcome::Created { id })
                    }
                    Ok(Made::Adopted(id)) => (id.clone(), OpOutcome::Adopted { id }),
                    Err(e) if e.kind == ErrorKind::Conflict => {
                        // The name exists: adopt it when it checks what this op asks.
                        let same = get_request_validators(self.clients, &api)
                            .await?
                            .into_iter()
                            .find(|v| v.name() == Some(validator.as_str()))
                            .filter(|v| {
                                v.validate_request_body() == *body
                                    && v.validate_request_parameters() == *parameters
                            })
                            .and_then(|v| v.id().map(str::to_string));
                        match same {
                            Some(id) => (id.clone(), OpOutcome::Adopted { id }),
                            None => return Err(e),
                        }
                    }
                    Err(e) => return Err(e),
                };
                self.validator_ids.insert(validator.clone(), id);
                Ok(outcome)
            }
            Op::UpdateRequestValidator {
                name: validator,
                patches,
            } => {
                gw.update_request_validator()
                    .rest_api_id(self.api(name)?)
                    .request_validator_id(self.validator(name, validator)?)
                    .set_patch_operations(Some(self.patches(name, patches)?))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            Op::DeleteRequestValidator { name: validator } => {
                let res = gw
                    .delete_request_validator()
                    .rest_api_id(self.api(name)?)
                    .request_validator_id(self.validator(name, validator)?)
                    .send()
                    .await;
                let outcome = deleted(name, res)?;
                self.validator_ids.remove(validator);
                Ok(outcome)
            }
            _ => Err(internal(name, "not a model or request validator op".into())),
        }
    }
}
