//! Hand-built trees the checker would refuse (missing or wrongly typed arguments) give an error or a value,
//! never a panic: the evaluator trusts no tree.

use super::*;
use crate::ast::{BinaryOp, Span};
use crate::func::Func;
use crate::typed::{Formula, TExpr, TKind};

fn lit(v: FValue, ty: FType) -> TExpr {
    TExpr {
        kind: TKind::Literal(v),
        ty,
        span: Span::default(),
    }
}

fn formula(expr: TExpr) -> Formula {
    Formula {
        expr,
        return_type: FType::Null,
        fields: vec![],
        globals: vec![],
        blanks: ZERO,
        uses_prior: false,
        uses_now: false,
    }
}

#[test]
fn malformed_trees_are_errors_not_panics() {
    let argument_sets = [
        vec![],
        vec![lit(s("x"), FType::Text)],
        vec![
            lit(b(true), FType::Boolean),
            lit(d(2020, 1, 1), FType::Date),
        ],
        vec![lit(n(1.0), FType::Number); 3],
        vec![lit(NULL, FType::Null); 4],
    ];
    let row = Row::new();
    let mut evaluated = 0;
    for (func, name) in Func::ALL {
        for args in &argument_sets {
            let expr = TExpr {
                kind: TKind::Call(func, args.clone()),
                ty: FType::Null,
                span: Span::default(),
            };
            // Either outcome is fine; reaching the next iteration means no panic.
            let _ = formula(expr).eval(&row);
            evaluated += 1;
        }
        let missing = formula(TExpr {
            kind: TKind::Call(func, vec![]),
            ty: FType::Null,
            span: Span::default(),
        })
        .eval(&row);
        let takes_none = matches!(
            func,
            Func::And | Func::Or | Func::Today | Func::Now | Func::IsNew | Func::Max | Func::Min
        );
        assert_eq!(
            missing.is_err(),
            !takes_none,
            "{name}() without arguments: {missing:?}"
        );
    }
    assert_eq!(evaluated, 45 * argument_sets.len());
    // Unknown field and global indexes, and operators over mismatched types.
    let field = formula(TExpr {
        kind: TKind::Field(7),
        ty: FType::Number,
        span: Span::default(),
    });
    assert!(field.eval(&row).is_err());
    let mixed = formula(TExpr {
        kind: TKind::Binary(
            BinaryOp::Multiply,
            Box::new(lit(d(2020, 1, 1), FType::Date)),
            Box::new(lit(b(true), FType::Boolean)),
        ),
        ty: FType::Number,
        span: Span::default(),
    });
    assert!(mixed.eval(&row).is_err());
}
