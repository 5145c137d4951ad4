//! Every AWS SDK call lives in this module tree.
