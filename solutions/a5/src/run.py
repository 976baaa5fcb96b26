"""Pretrain, finetune and evaluate a small GPT on birth places (the 2021 script).

    python src/run.py pretrain vanilla wiki.txt --writing_params_path vanilla.pretrain.params
    python src/run.py finetune vanilla wiki.txt --reading_params_path vanilla.pretrain.params \
        --writing_params_path vanilla.finetune.params --finetune_corpus_path birth_places_train.tsv
    python src/run.py evaluate vanilla wiki.txt --reading_params_path vanilla.finetune.params \
        --eval_corpus_path birth_dev.tsv --outputs_path vanilla.pretrain.dev.predictions

(wiki.txt and the .tsv files are in data/birth-places/.) The model size and the trainer
settings are fixed below; you write the three modes.
"""
import argparse
import random

import torch
from tqdm import tqdm

import dataset
import model
import trainer
import utils

# ---------------------------------------------------------------- settings (provided)
# The course trained n_layer=4, n_head=8, n_embd=256 with dropout 0.1 for 650 epochs of
# batches of 128 at learning rate 6e-3 (cosine decay over 200 epochs) on a GPU, about 20
# times the computation one CPU core does in an hour. These settings pretrain on one CPU
# core in under an hour: a smaller model (2 layers of 128), no dropout (it slows
# memorising the facts, and costs time), and small batches (16) for many more updates.
# Keep the head size n_embd // n_head at 32: the grader reads your model's size from its
# parameters.
BLOCK_SIZE = 128
MODEL = dict(n_layer=2, n_head=4, n_embd=128, embd_pdrop=0.0, resid_pdrop=0.0, attn_pdrop=0.0)
PRETRAIN = dict(max_epochs=150, batch_size=16, learning_rate=3e-3, lr_decay=True,
                warmup_tokens=512 * 20, final_tokens_epochs=150)
FINETUNE_PRETRAINED = dict(max_epochs=10, batch_size=256, learning_rate=6e-4, lr_decay=True,
                           warmup_tokens=512 * 20, final_tokens_epochs=200)
FINETUNE_FROM_SCRATCH = dict(max_epochs=75, batch_size=256, learning_rate=6e-4, lr_decay=True,
                             warmup_tokens=512 * 20, final_tokens_epochs=200)


def trainer_config(settings, dataset_length, ckpt_path):
    """A TrainerConfig from one of the settings above: the cosine decay of the learning rate
    ends after final_tokens_epochs passes over a dataset of dataset_length documents."""
    settings = dict(settings)
    epochs = settings.pop("final_tokens_epochs")
    return trainer.TrainerConfig(final_tokens=epochs * dataset_length * BLOCK_SIZE,
                                 ckpt_path=ckpt_path, num_workers=0, **settings)


# ---------------------------------------------------------------- command line
argp = argparse.ArgumentParser()
argp.add_argument("function", help="Whether to pretrain, finetune or evaluate a model",
                  choices=["pretrain", "finetune", "evaluate"])
argp.add_argument("variant", help="Which variant of the model to run ('vanilla' or 'synthesizer')",
                  choices=["vanilla", "synthesizer"])
argp.add_argument("pretrain_corpus_path", help="Pretraining corpus (its characters make the vocabulary)")
argp.add_argument("--reading_params_path", help="If specified, path of the model to load before finetuning/evaluation",
                  default=None)
argp.add_argument("--writing_params_path", help="Path to save the model after pretraining/finetuning", default=None)
argp.add_argument("--finetune_corpus_path", help="Path of the corpus to finetune on", default=None)
argp.add_argument("--eval_corpus_path", help="Path of the corpus to evaluate on", default=None)
argp.add_argument("--outputs_path", default=None)
args = argp.parse_args()

# one thread: on a shared machine more threads are slower, not faster
torch.set_num_threads(1)
random.seed(0)
torch.manual_seed(0)

# The pretraining corpus fixes the vocabulary (and so the model's embedding size) in every mode.
text = open(args.pretrain_corpus_path, encoding="utf-8").read()
pretrain_dataset = dataset.CharCorruptionDataset(text, BLOCK_SIZE)

mconf = model.GPTConfig(pretrain_dataset.vocab_size, pretrain_dataset.block_size,
                        synthesizer=args.variant == "synthesizer", **MODEL)
gpt = model.GPT(mconf)

if args.function == "pretrain":
    assert args.writing_params_path is not None
    # Pretrain the model on the span-corruption task (pretrain_dataset), with the PRETRAIN
    # settings, and save its state dict to args.writing_params_path.
    ### BEGIN SOLUTION
    tconf = trainer_config(PRETRAIN, len(pretrain_dataset), args.writing_params_path)
    trainer.Trainer(gpt, pretrain_dataset, None, tconf).train()
    torch.save(gpt.state_dict(), args.writing_params_path)
    ### END SOLUTION
elif args.function == "finetune":
    assert args.writing_params_path is not None
    assert args.finetune_corpus_path is not None
    # Finetune on the question/answer pairs of args.finetune_corpus_path (a NameDataset over
    # pretrain_dataset's vocabulary): from the pretrained model in args.reading_params_path
    # with FINETUNE_PRETRAINED when one is given, else from scratch with
    # FINETUNE_FROM_SCRATCH. Save the state dict to args.writing_params_path.
    ### BEGIN SOLUTION
    settings = FINETUNE_FROM_SCRATCH
    if args.reading_params_path is not None:
        gpt.load_state_dict(torch.load(args.reading_params_path, map_location="cpu"))
        settings = FINETUNE_PRETRAINED
    finetune_text = open(args.finetune_corpus_path, encoding="utf-8").read()
    finetune_dataset = dataset.NameDataset(pretrain_dataset, finetune_text)
    tconf = trainer_config(settings, len(pretrain_dataset), args.writing_params_path)
    trainer.Trainer(gpt, finetune_dataset, None, tconf).train()
    torch.save(gpt.state_dict(), args.writing_params_path)
    ### END SOLUTION
elif args.function == "evaluate":
    assert args.outputs_path is not None
    assert args.reading_params_path is not None
    assert args.eval_corpus_path is not None
    # For each question (the first column) of args.eval_corpus_path, greedily decode 32
    # characters after question + MASK_CHAR with utils.sample; the prediction is what lies
    # between the first and the second MASK_CHAR. Write one prediction a line to
    # args.outputs_path, and print the accuracy from utils.evaluate_places when the file
    # has answers.
    ### BEGIN SOLUTION
    gpt.load_state_dict(torch.load(args.reading_params_path, map_location="cpu"))
    mask = pretrain_dataset.MASK_CHAR
    predictions = []
    with open(args.outputs_path, "w", encoding="utf-8") as fout:
        for line in tqdm(open(args.eval_corpus_path, encoding="utf-8")):
            question = line.rstrip("\n").split("\t")[0] + mask
            x = torch.tensor([pretrain_dataset.stoi[c] for c in question], dtype=torch.long)[None, ...]
            pred = utils.sample(gpt, x, 32, sample=False)[0]
            completion = "".join(pretrain_dataset.itos[int(i)] for i in pred)
            prediction = completion.split(mask)[1]
            predictions.append(prediction)
            fout.write(prediction + "\n")
    total, correct = utils.evaluate_places(args.eval_corpus_path, predictions)
    if total > 0:
        print("Correct: {} out of {}: {}%".format(correct, total, correct / total * 100))
    else:
        print("Predictions written to {}; no targets provided".format(args.outputs_path))
    ### END SOLUTION
